"""The viewer's screens: the run viewer and its dialogs."""

"""Every write in compliance goes through a function in this package (`<entity>_<action>`)."""

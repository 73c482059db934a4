"""What the pages configure while the receiver runs: the saved settings and the Mappings page's set."""

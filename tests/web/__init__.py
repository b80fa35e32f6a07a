"""Browser tests: the page served by a real API process, in headless Chromium."""

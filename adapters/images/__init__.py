"""Images for posts: platform sizes with a content-aware crop, quote cards and carousel slides,
rendered in a process pool (never on the event loop) and kept in a content-addressed media store."""

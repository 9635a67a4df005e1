"""From an article to a post a social media manager could publish as is: :mod:`.reading` digests
the article, :mod:`.rules` writes (the offline rule writer), :mod:`.validate` fits and checks every
draft against its platform, :mod:`.score` rates it. The :class:`~domain.post.writer.Writer`
protocols let an LLM writer (an adapter) take the rule writer's place."""

"""Writers turn an article into a platform post. Behind the :class:`Writer` protocol so the LLM
writer (issue 3) can replace the rule-based one; every writer's output goes through the same limits."""

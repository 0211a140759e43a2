"""Step-through demos of "The Math That Makes LLMs Work", computed by the engines."""

"""learnloop: turns incidents into organisation-wide learning."""

__version__ = "0.1.0"

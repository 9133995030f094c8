"""Tracker kinds and their adapters, imported only when used."""

from __future__ import annotations

from importlib import import_module

from learnloop.integrations.base import Settings, Tracker

ADAPTERS = {
    "jira_cloud": ("learnloop.integrations.jira.transport", "JiraCloud"),
    "jira_dc": ("learnloop.integrations.jira.transport", "JiraDataCenter"),
    "trello": ("learnloop.integrations.trello.transport", "Trello"),
    "github": ("learnloop.integrations.github.transport", "GitHub"),
    "linear": ("learnloop.integrations.linear.transport", "Linear"),
}


def tracker(kind: str, settings: Settings) -> Tracker:
    module, name = ADAPTERS[kind]
    adapter: Tracker = getattr(import_module(module), name)(settings)
    return adapter

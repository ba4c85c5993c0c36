"""A service's ``/metrics`` read as Prometheus reads it (prometheus-client's own parser)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "parse", "scrape"]


class Samples:
    """Every sample of one scrape, found by name and labels."""

    def __init__(self, text: str) -> None:
        self.types: dict[str, str] = {}
        self.samples: list[tuple[str, dict[str, str], float]] = []
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for sample in family.samples:
                self.samples.append((sample.name, dict(sample.labels), sample.value))

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples ``name`` whose labels include ``labels`` (0 when none)."""
        return sum(v for n, found, v in self.samples if n == name and _within(labels, found))

    def label_values(self, name: str, label: str) -> set[str]:
        """Every value ``label`` takes in the samples ``name``."""
        return {found[label] for n, found, _ in self.samples if n == name and label in found}

    def labels(self, name: str) -> list[dict[str, str]]:
        return [found for n, found, _ in self.samples if n == name]


def _within(wanted: Mapping[str, str], found: Mapping[str, str]) -> bool:
    return all(found.get(key) == value for key, value in wanted.items())


def parse(text: str) -> Samples:
    return Samples(text)


def scrape(url: str) -> Samples:
    """``GET {url}/metrics``, checked to be Prometheus' text format, parsed."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Samples(response.text)

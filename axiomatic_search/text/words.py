"""Text players: a string's words (or a tokenizer's tokens), masked by a mask token, by
deletion, or by the words of a counterfactual sentence.

Like lime's text explainer, only words are players: spaces and punctuation between them are
kept as written, so a masked string reads like the original with some words hidden (deletion
keeps the punctuation of a deleted word: "Hello, world!" without "Hello" is ", world!"). Words
past a model's maximum input length are cut off by its tokenizer: they are null players.

>>> masker = TextMasker("A man plays a guitar.", background="delete")
>>> masker.words
['A', 'man', 'plays', 'a', 'guitar']
>>> masker.masked_batch(torch.tensor([[True, False, True, True, False]]))
['A plays a.']
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np
import torch

from ..masking import Masker

WORD = re.compile(r"\w+(?:['’\-]\w+)*")
"""A word: letters or digits, with inner apostrophes and hyphens (``don't``, ``e-mail``)."""
DEFAULT_MASK_TOKEN = "[MASK]"
"""The mask token when the model's tokenizer names none."""
PLAYERS = ("words", "tokens")
NAMED_BACKGROUNDS = ("mask", "delete")


def check_text(text: object, name: str, minimum_words: int = 1) -> str:
    """``text`` if it is a string with at least ``minimum_words`` words, else an error naming
    ``name``.

    >>> check_text("  ", "query")
    Traceback (most recent call last):
    ...
    ValueError: query is empty or whitespace only; expected a sentence
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"{name} is empty or whitespace only; expected a sentence")
    found = WORD.findall(text)
    if len(found) < minimum_words:
        raise ValueError(f"{name} has {len(found)} word{'s' if len(found) != 1 else ''} ({text!r}); explaining "
                         f"it needs at least {minimum_words}, to share the credit among")
    return text


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the words of ``text``."""
    return [match.span() for match in WORD.finditer(text)]


def token_spans(text: str, tokenizer: object) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of a Hugging Face fast tokenizer's tokens (no special tokens)."""
    if tokenizer is None:
        raise ValueError("players='tokens' needs the model's tokenizer; this model has none: use players='words'")
    try:
        offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    except (TypeError, NotImplementedError, KeyError) as error:
        raise ValueError(f"players='tokens' needs a fast tokenizer with offsets ({type(error).__name__}: {error})") from None
    return [(int(start), int(end)) for start, end in offsets if end > start]


class TextMasker(Masker):
    """Masks one string by coalitions of its words (``players="words"``) or of a tokenizer's
    tokens (``players="tokens"``).

    ``background``: what a hidden word becomes: ``"mask"`` (``mask_token``, the model's own
    mask token where it has one), ``"delete"`` (removed, spaces closed up), a counterfactual
    sentence with as many words (word ``i`` is replaced by its word ``i``: "why this sentence
    rather than that one"), or a list of these, averaged.
    """

    def __init__(self, text: str, players: str = "words", background: object = "mask", tokenizer: object = None,
                 mask_token: str | None = None, name: str = "text") -> None:
        self.input = check_text(text, name, minimum_words=1)
        if players not in PLAYERS:
            raise ValueError(f"players must be one of {PLAYERS} for text, got {players!r}")
        self.players = players
        self.spans = word_spans(text) if players == "words" else token_spans(text, tokenizer)
        if len(self.spans) < 2:
            hint = "; for text without spaces between words (Chinese, Japanese) use players='tokens'" if players == "words" else ""
            raise ValueError(f"{name} has a single {players[:-1]} ({text!r}); explaining it needs at least two, "
                             f"to share the credit among{hint}")
        self.n_players = len(self.spans)
        self.words = [text[start:end] for start, end in self.spans]
        self.mask_token = mask_token or DEFAULT_MASK_TOKEN
        if isinstance(background, tuple):
            raise ValueError("background as a tuple is (query background, result background), for second order; "
                             "pass a list of backgrounds to average them")
        items = background if isinstance(background, list) else [background]
        if not items:
            raise ValueError("background must not be an empty list")
        self.backgrounds = [self._replacements(item, players, tokenizer) for item in items]
        self.background = background

    def _replacements(self, background: object, players: str, tokenizer: object) -> list[str] | None:
        """What each player becomes when hidden (None: deleted)."""
        if isinstance(background, str) and background in NAMED_BACKGROUNDS:
            return None if background == "delete" else [self.mask_token] * self.n_players
        if not isinstance(background, str) or not background.strip():
            raise ValueError(f"background must be 'mask', 'delete', a counterfactual sentence or a list of these, "
                             f"got {background!r}")
        spans = word_spans(background) if players == "words" else token_spans(background, tokenizer)
        if len(spans) != self.n_players:
            raise ValueError(f"background (a counterfactual sentence) has {len(spans)} {players} and the text has "
                             f"{self.n_players}; word i of the text is replaced by word i of the counterfactual, "
                             "so they must have as many")
        return [background[start:end] for start, end in spans]

    def to(self, device: torch.device) -> "TextMasker":
        """Strings live on no device: returns self."""
        return self

    def mask(self, coalitions: torch.Tensor | np.ndarray) -> list[list[str]]:
        """``(b, n_players)`` booleans -> ``b`` lists of ``K`` masked strings."""
        rows = np.asarray(coalitions.cpu() if isinstance(coalitions, torch.Tensor) else coalitions, dtype=bool)
        return [[self._masked(row, replacements) for replacements in self.backgrounds] for row in rows]

    def masked_batch(self, coalitions: torch.Tensor | np.ndarray, repeat: int | None = None) -> list[str]:
        """The ``b · K`` masked strings, coalition by coalition (each repeated ``repeat`` times
        when given)."""
        return [text for row in self.mask(coalitions) for text in row * (repeat or 1)]

    def _masked(self, keep: np.ndarray, replacements: Sequence[str] | None) -> str:
        parts, cursor, opening = [], 0, False
        for player, (start, end) in enumerate(self.spans):
            gap = self.input[cursor:start]
            parts.append(gap.lstrip() if opening else gap)
            opening = False
            if keep[player]:
                parts.append(self.input[start:end])
            elif replacements is not None:
                parts.append(replacements[player])
            else:  # deleted: the space before it goes too (or, at the start, the space after it)
                parts[-1] = parts[-1].rstrip()
                opening = not "".join(parts).strip()
            cursor = end
        tail = self.input[cursor:]
        parts.append(tail.lstrip() if opening else tail)
        return "".join(parts)

    def fingerprint(self) -> bytes:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr((self.input, self.spans, self.backgrounds)).encode())
        return digest.digest()

    def to_pixels(self, values: np.ndarray) -> np.ndarray:
        """Values per player, as they are (text has no pixels; the name keeps the masker protocol)."""
        values = np.asarray(values)
        if values.shape[0] != self.n_players:
            raise ValueError(f"values must have {self.n_players} entries (one per word), got {values.shape[0]}")
        return values

    def segments(self) -> list[str]:
        """The text cut into one piece per player, each with the spaces and punctuation after it
        (the first also with what precedes it), so the pieces join back into the text: shap's
        layout for ``shap.plots.text``."""
        starts = [0] + [start for start, _ in self.spans[1:]]
        ends = starts[1:] + [len(self.input)]
        return [self.input[a:b] for a, b in zip(starts, ends)]

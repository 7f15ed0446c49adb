"""Chinese search over the service catalogue: the way citizens actually type.

A pure module (no Django): the catalogue turns its items and 一件事 bundles into `SearchDoc`s, builds a
`SearchIndex` once and asks it questions.

How a query is answered
1. Normalise (NFKC, lower case, at most `MAX_QUERY_CHARS` characters) and split into runs of Chinese
   characters and of ASCII letters/digits; anything else separates.
2. Expand: colloquial forms and synonyms from ``data/synonyms.txt`` (生孩子 → 出生, 开公司 → 开办企业 …);
   pinyin initials or full pinyin in ASCII runs (csyjs → 出生一件事, shebaoka → 社保卡); typos corrected
   against the index's own vocabulary (营业执招 → 营业执照: one-edit or same-pinyin look-ups).
3. Retrieve with BM25 (bm25s) over two fields, title (name + aliases) and body (the rest), each holding
   jieba words (with a government-domain user dictionary, ``data/gov_terms.txt``) and character bigrams,
   so that a segmentation miss still matches.
4. Re-rank the best candidates: exact and partial name/alias matches, and for bundles an event-word
   bonus scaled by the bundle's `boost`, so that 开公司 finds 开办企业一件事 before its member items.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import jieba
import numpy as np
from pypinyin import lazy_pinyin
from rapidfuzz.distance import Levenshtein

__all__ = ["MAX_QUERY_CHARS", "SearchDoc", "SearchIndex", "analyse_query", "normalise"]

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_QUERY_CHARS = 100

# Weights (tuned on data/search_queries.json; see tests/test_search_quality.py).
TITLE_WEIGHT = 2.0          # BM25 title field relative to body
EXPANSION_WEIGHT = 1.0      # synonym / pinyin expansions relative to what was typed
CORRECTION_WEIGHT = 0.9     # typo corrections
NAME_EXACT_BONUS = 1.0      # a phrase of the query is exactly the name or an alias
NAME_PARTIAL_BONUS = 0.6    # one contains the other, scaled by the share covered
EVENT_BONUS = 0.6           # bundle whose event word covers the query, times the bundle's boost
EDIT_MIN_CHARS = 5          # shortest window corrected by one edit (shorter ones: same pinyin only)
UNIGRAM_WEIGHT = 0.25       # single characters of the query, title field only
EVENT_COVER_SCALE = 1.5     # an event word covering 2/3 of the query counts as covering all of it
CANDIDATES = 60             # how many BM25 hits are re-ranked

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(f"[{_CJK}]+|[a-z0-9]+")
_CJK_RE = re.compile(f"^[{_CJK}]+$")
_LETTERS_RE = re.compile("^[a-z]+$")
_PARENS_RE = re.compile(r"[（(][^（）()]*[)）]")
_BUNDLE_SUFFIXES = ("一件事一次办", "一件事", "联办", "一次办")

# Function words people add around what they want; dropped from the query (as jieba tokens).
_STOP_TOKENS = frozenset(
    """我 我们 你 你们 他 她 想 想要 要 需要 需 请问 请 问 问下 问一下 一下 怎么 怎么办 怎么样 怎样 如何 咋 咋办
    哪里 哪儿 在哪 在哪里 在哪儿 哪 哪些 什么 啥 哪个 吗 呢 吧 啊 呀 了 的 地 得 着 过 和 与 及 或 还是 是 有 没有
    有没有 能 能不能 可以 可不可以 是否 应该 该 去 到 给 把 被 让 一个 个 这个 那个 这 那 都 也 就 还 又 再 办理
    手续 流程 步骤 相关 关于 准备 打算 刚 刚刚 已经 现在 最近 家里 家 麻烦 谢谢 您好 你好 急 在线 网上 申请 办 弄""".split()
)


# --------------------------------------------------------------------------------------------------
# documents


@dataclass(frozen=True)
class SearchDoc:
    key: str            # "item:<code>" or "bundle:<code>"
    kind: str           # "item" | "bundle"
    code: str
    name: str
    text: str           # body to index: conditions, materials, department, legal basis, keywords …
    aliases: tuple[str, ...] = ()   # short names / colloquial names given by the catalogue
    boost: float = 1.0  # bundles get > 1


# --------------------------------------------------------------------------------------------------
# text helpers


def normalise(text: str) -> str:
    """NFKC, lower case, at most MAX_QUERY_CHARS characters (applied before and after NFKC)."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUERY_CHARS * 2])
    return text.lower()[:MAX_QUERY_CHARS]


def _runs(text: str) -> list[str]:
    return _RUN_RE.findall(unicodedata.normalize("NFKC", text).lower())


def _is_cjk(run: str) -> bool:
    return bool(_CJK_RE.match(run))


_tokenizer_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """A private jieba tokenizer with the government-domain dictionary (global jieba is left alone)."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                for word, freq in _gov_terms():
                    tk.add_word(word, freq)
                _tokenizer = tk
    return _tokenizer


@lru_cache(maxsize=1)
def _gov_terms() -> tuple[tuple[str, int], ...]:
    out: list[tuple[str, int]] = []
    path = DATA_DIR / "gov_terms.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 20000
        out.append((parts[0], freq))
    return tuple(out)


@dataclass(frozen=True)
class _Synonyms:
    variants: tuple[tuple[str, tuple[str, ...]], ...]   # (variant, expansions), longest variant first


@lru_cache(maxsize=1)
def _synonyms() -> _Synonyms:
    table: dict[str, list[str]] = {}
    for line in (DATA_DIR / "synonyms.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        expansions = [normalise(w) for w in right.split() if w.strip()]
        for variant in left.split("|"):
            variant = normalise(variant.strip())
            if variant:
                bucket = table.setdefault(variant, [])
                bucket.extend(e for e in expansions if e not in bucket)
    ordered = sorted(table.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    return _Synonyms(tuple((v, tuple(e)) for v, e in ordered))


@lru_cache(maxsize=200_000)
def _cut(run: str) -> tuple[str, ...]:
    """jieba search-mode words of one CJK run (cached: catalogue text repeats a lot)."""
    return tuple(_jieba().lcut_for_search(run, HMM=False))


@lru_cache(maxsize=50_000)
def _cut_precise(run: str) -> tuple[str, ...]:
    return tuple(_jieba().lcut(run, HMM=False))


def _bigrams(run: str) -> list[str]:
    return ["b:" + run[i : i + 2] for i in range(len(run) - 1)]


def _field_tokens(text: str, *, unigrams: bool) -> list[str]:
    """Index tokens for a field: jieba words (len ≥ 2), character bigrams, ASCII words, optional unigrams."""
    out: list[str] = []
    for run in _runs(text):
        out.extend(_run_tokens(run, unigrams))
    return out


@lru_cache(maxsize=200_000)
def _run_tokens(run: str, unigrams: bool) -> tuple[str, ...]:
    if not _is_cjk(run):
        return (run,)
    out = [w for w in _cut(run) if len(w) >= 2]
    out.extend(_bigrams(run))
    if unigrams or len(run) == 1:
        out.extend("u:" + ch for ch in run)
    return tuple(out)


@lru_cache(maxsize=100_000)
def _word_pinyin(word: str) -> tuple[str, str]:
    """(initials, full pinyin) of a word, phrase-aware via pypinyin; non-Chinese kept as is."""
    full = lazy_pinyin(word, errors="default")
    initials = "".join(s[0] for s in full if s)
    return initials, "".join(full)


def _pinyin(text: str) -> tuple[str, str]:
    """(initials, full pinyin) of a longer string, via its jieba words (so the word cache is reused)."""
    ini: list[str] = []
    full: list[str] = []
    for run in _runs(text):
        if _is_cjk(run):
            for w in _cut_precise(run):
                i, f = _word_pinyin(w)
                ini.append(i)
                full.append(f)
        else:
            ini.append(run)
            full.append(run)
    return "".join(ini), "".join(full)


# --------------------------------------------------------------------------------------------------
# query analysis


@dataclass
class QueryPlan:
    """What the index makes of a query; `analyse_query` exposes it for debugging and the API."""

    text: str                                   # normalised query
    core: str                                   # what is left after dropping function words
    phrases: list[str]                          # core phrases (contiguous)
    # (phrase, weight, why, cover): cover is the share of the typed query the expansion stands for
    expansions: list[tuple[str, float, str, float]] = field(default_factory=list)

    def weighted_phrases(self) -> list[tuple[str, float, float]]:
        """(phrase, weight, cover) for the core and every expansion."""
        out: dict[str, tuple[float, float]] = {self.core: (1.0, 1.0)} if self.core else {}
        for p, w, _, cover in self.expansions:
            if out.get(p, (0.0, 0.0)) < (w, cover):
                out[p] = (w, cover)
        return [(p, w, c) for p, (w, c) in out.items()]


class _Bm25Field:
    """One BM25 field built by bm25s; queried with weighted token ids straight from its CSC matrix."""

    def __init__(self, corpus: list[list[tuple[str, ...]]]) -> None:
        """`corpus`: per document, its token chunks (one per text run; chunks repeat across documents,
        so each distinct chunk is mapped to ids once)."""
        vocab: dict[str, int] = {}
        chunk_ids: dict[tuple[str, ...], list[int]] = {}
        ids: list[list[int]] = []
        setdefault = vocab.setdefault
        for chunks in corpus:
            row: list[int] = []
            for chunk in chunks:
                got = chunk_ids.get(chunk)
                if got is None:
                    got = chunk_ids[chunk] = [setdefault(t, len(vocab)) for t in chunk]
                row.extend(got)
            ids.append(row)
        self.vocab = vocab
        self.n_docs = len(corpus)
        if not vocab:
            self.data = np.zeros(0, dtype=np.float32)
            self.indices = np.zeros(0, dtype=np.int32)
            self.indptr = np.zeros(1, dtype=np.int64)
            return
        model = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        scores = model.build_index_from_ids(list(range(len(vocab))), ids, show_progress=False)
        self.data = np.asarray(scores["data"], dtype=np.float32)
        self.indices = np.asarray(scores["indices"], dtype=np.int64)
        self.indptr = np.asarray(scores["indptr"], dtype=np.int64)

    def add_scores(self, out: np.ndarray, weighted: dict[str, float], factor: float) -> bool:
        hit = False
        for token, weight in weighted.items():
            tid = self.vocab.get(token)
            if tid is None:
                continue
            start, end = self.indptr[tid], self.indptr[tid + 1]
            if start == end:
                continue
            # indices are unique within one column, so fancy-index addition is exact
            out[self.indices[start:end]] += (weight * factor) * self.data[start:end]
            hit = True
        return hit


@dataclass
class _Term:
    df: int = 0            # documents whose title holds it
    curated: bool = False  # from the domain dictionary, a name, an alias or an event word


class SearchIndex:
    """In-memory search index over catalogue documents. Build once; `search` is thread-safe."""

    def __init__(self, docs: list[SearchDoc]) -> None:
        self.docs = list(docs)
        self._names = [normalise(d.name) for d in self.docs]
        self._aliases: list[tuple[str, ...]] = []
        self._events: dict[int, tuple[str, ...]] = {}
        self._exact: dict[str, list[int]] = {}
        self._matchable: list[tuple[str, ...]] = []   # name, name without (…) qualifiers, aliases
        title_tokens: list[list[tuple[str, ...]]] = []
        body_tokens: list[list[tuple[str, ...]]] = []
        terms: dict[str, _Term] = {}

        for word, _ in _gov_terms():
            terms.setdefault(normalise(word), _Term()).curated = True
        for _variant, expansions in _synonyms().variants:
            for e in expansions:
                terms.setdefault(e, _Term()).curated = True

        for i, doc in enumerate(self.docs):
            name = self._names[i]
            aliases = tuple(dict.fromkeys(a for a in (normalise(x).strip() for x in doc.aliases) if a))
            self._aliases.append(aliases)
            short = _PARENS_RE.sub("", name).strip()
            matchable = (name, short, *aliases) if short != name and len(short) >= 2 else (name, *aliases)
            self._matchable.append(tuple(dict.fromkeys(matchable)))
            for s in self._matchable[-1]:
                self._exact.setdefault(s, []).append(i)
            title = " ".join((name, *aliases))
            t_tokens = _field_tokens(title, unigrams=True)
            title_tokens.append([tuple(t_tokens)])
            body_tokens.append([_run_tokens(run, False) for run in _runs(doc.text)])
            seen: set[str] = set()
            for tok in t_tokens:
                if not tok.startswith(("b:", "u:")) and tok not in seen:
                    seen.add(tok)
                    terms.setdefault(tok, _Term()).df += 1
            for s in (name, *aliases):
                if len(s) <= 16:
                    t = terms.setdefault(s, _Term())
                    t.curated = True
                    if s not in seen:
                        t.df += 1
            if doc.kind == "bundle":
                events = self._event_words(name, aliases)
                self._events[i] = events
                for e in events:
                    terms.setdefault(e, _Term()).curated = True

        self._title = _Bm25Field(title_tokens)
        self._body = _Bm25Field(body_tokens)
        self._terms = terms
        self._build_lookups()

    @classmethod
    def build(cls, docs: list[SearchDoc]) -> SearchIndex:
        return cls(docs)

    # ---- building helpers

    @staticmethod
    def _event_words(name: str, aliases: Sequence[str]) -> tuple[str, ...]:
        """The event a bundle is about: its name and its 一件事-style aliases without the suffix
        (出生一件事 → 出生). Other aliases (a catalogue may list 刻章 for 开办企业一件事) stay plain aliases."""
        out: list[str] = []
        for k, s in enumerate((name, *aliases)):
            for suffix in _BUNDLE_SUFFIXES:
                if s.endswith(suffix) and len(s) > len(suffix):
                    s = s[: -len(suffix)]
                    break
            else:
                if k > 0:
                    continue
            if len(s) >= 2 and s not in out:
                out.append(s)
        return tuple(out)

    def _build_lookups(self) -> None:
        """Pinyin (initials and full) and one-edit tables over the vocabulary of names and terms."""
        self._by_initials: dict[str, list[str]] = {}
        self._by_full_pinyin: dict[str, list[str]] = {}
        self._deletes: dict[str, list[str]] = {}
        self._known_words: set[str] = set(self._terms)
        self._known_words.update(t for t in self._body.vocab if not t.startswith(("b:", "u:")))
        for term, info in self._terms.items():
            n = len(term)
            if n < 2 or not _is_cjk(term):
                continue
            if info.curated or n <= 8:
                initials, full = _pinyin(term) if n > 4 else _word_pinyin(term)
                self._by_initials.setdefault(initials, []).append(term)
                if n <= 8:
                    self._by_full_pinyin.setdefault(full, []).append(term)
            if 2 <= n <= 10 and (info.curated or info.df >= 1):
                for j in range(n):
                    self._deletes.setdefault(term[:j] + term[j + 1 :], []).append(term)
        rank = self._term_rank
        for table in (self._by_initials, self._by_full_pinyin, self._deletes):
            for words in table.values():
                words.sort(key=rank)
                del words[24:]
        self._initials_keys = sorted(self._by_initials)

    def _term_rank(self, term: str) -> tuple[int, int, int, str]:
        info = self._terms.get(term) or _Term()
        return (0 if info.curated else 1, -info.df, len(term), term)

    # ---- query analysis

    def analyse(self, query: str) -> QueryPlan:
        text = normalise(query)
        runs = _runs(text)
        plan = QueryPlan(text=text, core="", phrases=[])
        if not runs:
            return plan
        joined = "".join(runs)
        seen: set[str] = set()

        def expand(phrase: str, weight: float, why: str, cover: float) -> None:
            if phrase and phrase not in seen:
                seen.add(phrase)
                plan.expansions.append((phrase, weight, why, min(1.0, cover)))

        phrases: list[str] = []
        for run in runs:
            if not _is_cjk(run):
                if _LETTERS_RE.match(run) and len(run) >= 2:
                    for word in self._from_pinyin(run):
                        expand(word, EXPANSION_WEIGHT, f"拼音:{run}", 1.0 if len(runs) == 1 else 0.5)
                phrases.append(run)
                continue
            current: list[str] = []
            for tok in _cut_precise(run):
                if tok in _STOP_TOKENS:
                    if current:
                        phrases.append("".join(current))
                        current = []
                else:
                    current.append(tok)
            if current:
                phrases.append("".join(current))
        plan.phrases = phrases
        plan.core = "".join(phrases)

        # synonyms and colloquial forms: on the text as typed and on what is left without function words
        for variant, expansions in _synonyms().variants:
            if variant in joined or variant in plan.core:
                cover = len(variant) / max(1, len(plan.core))
                for e in expansions:
                    expand(e, EXPANSION_WEIGHT, f"同义:{variant}", cover)

        for phrase in phrases:
            if _is_cjk(phrase):
                for fixed, window in self._corrections(phrase):
                    expand(fixed, CORRECTION_WEIGHT, f"纠错:{window}", len(window) / max(1, len(plan.core)))
        return plan

    def _from_pinyin(self, letters: str) -> list[str]:
        """Chinese terms whose full pinyin or initials are `letters` (prefix of a name's initials too)."""
        found = list(self._by_full_pinyin.get(letters, ()))[:2]
        found += [w for w in self._by_initials.get(letters, ()) if w not in found][:3]
        if not found and len(letters) >= 6:
            found = self._split_full_pinyin(letters)
        if not found and len(letters) >= 3:
            keys = self._initials_keys
            pos = bisect.bisect_left(keys, letters)
            candidates: list[str] = []
            while pos < len(keys) and keys[pos].startswith(letters) and len(candidates) < 40:
                candidates.extend(self._by_initials[keys[pos]])
                pos += 1
            candidates.sort(key=lambda w: (len(w),) + self._term_rank(w))
            found = candidates[:3]
        return found

    def _split_full_pinyin(self, letters: str) -> list[str]:
        """Full pinyin of two or three known terms written together (shebaokashenling → 社保卡 申领)."""
        table = self._by_full_pinyin
        n = len(letters)
        for i in range(2, n - 1):
            head = table.get(letters[:i])
            if not head:
                continue
            tail = table.get(letters[i:])
            if tail:
                return [head[0], tail[0]]
            for j in range(i + 2, n - 1):
                mid, last = table.get(letters[i:j]), table.get(letters[j:])
                if mid and last:
                    return [head[0], mid[0], last[0]]
        return []

    def _corrections(self, phrase: str) -> list[tuple[str, str]]:
        """Known terms for stretches of `phrase` that are not known words (one edit, or same pinyin).

        Windows start and end on jieba token boundaries and hold at least one unknown token, so that
        the boundary between two good words is never "corrected" (吵架找人 is not 驾照)."""
        if len(phrase) < 2 or phrase in self._known_words:
            return []
        tokens = _cut_precise(phrase)
        unknown = [not (len(t) >= 2 and t in self._known_words) for t in tokens]
        if not any(unknown):
            return []
        starts = [0]
        for t in tokens:
            starts.append(starts[-1] + len(t))
        nt = len(tokens)
        spans: list[tuple[int, int]] = []
        for a in range(nt):
            for b in range(a + 1, nt + 1):
                length = starts[b] - starts[a]
                if length > 8:
                    break
                # a window that is one jieba word is a real word, not a typo (新房 is not 信访)
                if length >= 2 and b - a >= 2 and any(unknown[a:b]):
                    spans.append((a, b))
        spans.sort(key=lambda ab: (-(starts[ab[1]] - starts[ab[0]]), ab[0]))
        out: list[tuple[str, str]] = []
        used = [False] * nt
        for a, b in spans:
            if any(used[a:b]):
                continue
            window = phrase[starts[a] : starts[b]]
            if window in self._known_words:
                continue
            context = [t for k, t in enumerate(tokens) if (k < a or k >= b) and not unknown[k]]
            fixed = self._correct_window(window, context)
            if fixed:
                out.append((fixed, window))
                for k in range(a, b):
                    used[k] = True
                if len(out) >= 3:
                    break
        return out

    def _correct_window(self, window: str, context: Sequence[str] = ()) -> str | None:
        """A known term for `window`: same pinyin (homophone typos, the usual IME slip), or one edit away;
        a short window (< EDIT_MIN_CHARS) is edited only to a term found in a title together with a
        known word of the query (社保卡甲领 → 申领, because 社保卡 and 申领 share a title)."""
        n = len(window)
        candidates: list[str] = []
        if n <= 8:
            candidates.extend(self._by_full_pinyin.get(_word_pinyin(window)[1], ()))
            if n == 2 and context:
                candidates = [t for t in candidates if self._shares_title(t, context)]
        if not candidates and (n >= EDIT_MIN_CHARS or context):
            seen: set[str] = set()
            keys = [window] + [window[:j] + window[j + 1 :] for j in range(n)]
            edits: list[str] = []
            for key in keys:
                for term in self._deletes.get(key, ()):
                    if term not in seen and Levenshtein.distance(window, term) <= 1:
                        seen.add(term)
                        edits.append(term)
            if n < EDIT_MIN_CHARS:
                edits = [t for t in edits if len(t) == n and self._shares_title(t, context)]
            candidates.extend(edits)
        if not candidates:
            return None
        return min(candidates, key=lambda w: (abs(len(w) - n),) + self._term_rank(w))

    def _title_docs(self, token: str) -> np.ndarray:
        tid = self._title.vocab.get(token)
        if tid is None:
            return np.zeros(0, dtype=np.int64)
        return self._title.indices[self._title.indptr[tid] : self._title.indptr[tid + 1]]

    def _shares_title(self, term: str, context: Sequence[str]) -> bool:
        docs = self._title_docs(term)
        if not len(docs):
            return False
        return any(len(np.intersect1d(docs, self._title_docs(c), assume_unique=True)) for c in context)

    # ---- search

    def search(self, query: str, limit: int = 10) -> list[tuple[str, float]]:
        if not isinstance(query, str) or limit <= 0 or not self.docs:
            return []
        plan = self.analyse(query)
        if not plan.core and not plan.expansions:
            return []
        weighted: dict[str, float] = {}

        def add(phrase: str, weight: float) -> None:
            for tok in self._query_tokens(phrase):
                if weighted.get(tok, 0.0) < weight:
                    weighted[tok] = weight

        for phrase in plan.phrases:
            add(phrase, 1.0)
            if _is_cjk(phrase):
                for ch in phrase:
                    tok = "u:" + ch
                    if tok not in weighted and ch not in _STOP_TOKENS:
                        weighted[tok] = UNIGRAM_WEIGHT
        for phrase, weight, _why, _cover in plan.expansions:
            add(phrase, weight)

        scores = np.zeros(len(self.docs), dtype=np.float32)
        hit = self._title.add_scores(scores, weighted, TITLE_WEIGHT)
        hit = self._body.add_scores(scores, weighted, 1.0) or hit
        if not hit:     # not one word, bigram or character of the query occurs in the catalogue
            return []
        k = min(len(self.docs), max(CANDIDATES, limit * 2))
        if k < len(self.docs):
            cand = np.argpartition(-scores, k - 1)[:k]
        else:
            cand = np.arange(len(self.docs))
        top = float(scores[cand].max())
        if top <= 0:
            return []
        phrases = plan.weighted_phrases()
        ranked: list[tuple[float, int]] = []
        for idx in cand.tolist():
            base = float(scores[idx])
            if base <= 0:
                continue
            final = base / top + self._bonus(idx, phrases)
            ranked.append((final, idx))
        ranked.sort(key=lambda t: (-t[0], t[1]))
        return [(self.docs[i].key, round(s, 4)) for s, i in ranked[:limit]]

    @staticmethod
    @lru_cache(maxsize=20_000)
    def _query_tokens(phrase: str) -> tuple[str, ...]:
        out: list[str] = []
        for run in _runs(phrase):
            if _is_cjk(run):
                out.extend(w for w in _cut(run) if len(w) >= 2)
                out.extend(_bigrams(run))
                if len(run) <= 2:
                    out.extend("u:" + ch for ch in run)
            else:
                out.append(run)
        return tuple(dict.fromkeys(out))

    def _bonus(self, idx: int, phrases: list[tuple[str, float, float]]) -> float:
        """Name/alias match (exact, or one inside the other) and, for bundles, the event-word bonus;
        a phrase counts with its weight (typed 1.0, expansions less)."""
        best = 0.0
        for s in self._matchable[idx]:
            ls = len(s)
            if ls < 2:
                continue
            shared = len(self._exact.get(s, ()))
            if shared > 1:      # an alias several documents share says less about each of them
                w_s = 1.0 / shared**0.5
            else:
                w_s = 1.0
            for p, w, _c in phrases:
                w = w * w_s
                lp = len(p)
                if lp < 2:
                    continue
                if s == p:
                    best = max(best, w * NAME_EXACT_BONUS)
                elif s in p:
                    best = max(best, w * NAME_PARTIAL_BONUS * ls / lp)
                elif p in s:
                    best = max(best, w * NAME_PARTIAL_BONUS * lp / ls)
        events = self._events.get(idx)
        if events:
            cover = 0.0
            for e in events:
                for p, w, c in phrases:
                    if e in p:          # the query names the event (and maybe more)
                        cover = max(cover, w * c * len(e) / len(p))
                    elif c >= 1.0 and len(p) >= 2 and p in e:   # the whole query is part of the event (二手房)
                        cover = max(cover, w * c * len(p) / len(e))
            if cover > 0:
                best += EVENT_BONUS * self.docs[idx].boost * min(1.0, cover * EVENT_COVER_SCALE)
        return best

    def stats(self) -> dict[str, Any]:
        return {
            "docs": len(self.docs),
            "title_vocab": len(self._title.vocab),
            "body_vocab": len(self._body.vocab),
            "terms": len(self._terms),
        }


def analyse_query(index: SearchIndex, query: str) -> dict[str, Any]:
    """A JSON-friendly view of how `index` reads `query` (for debugging pages and tests)."""
    plan = index.analyse(query)
    return {
        "text": plan.text,
        "core": plan.core,
        "phrases": plan.phrases,
        "expansions": [{"phrase": p, "weight": w, "why": why, "cover": round(c, 3)}
                       for p, w, why, c in plan.expansions],
    }

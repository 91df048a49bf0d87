"""How sure the knowledge base is that one public article answers a customer's question.

The database's full-text index finds the candidates (published public articles of the
question's language, any of its words, best first); the confidence is then computed the same
way on SQLite and PostgreSQL, from the words alone:

- each meaningful word of the question weighs by how rare it is among the public articles
  (``log(1 + N / (1 + df))``; a word no article uses weighs the most, so a question about
  something the articles never mention scores low);
- *coverage*: the share of that weight an article contains (a synonym or an English prefix
  or stem counts in full, a shorter word inside a long one — 退回 in 退回来 — half); a word no
  public article uses counts against it at ``Scoring.unknown_weight`` of its weight;
- the confidence is the best article's coverage, lowered when a second article covers nearly
  as much (the question is not clearly about one).

This score alone cannot tell a question about a neighbouring topic from the real thing; a
trained answer model (``answer_model``) uses it as some of its features, and ``answerer``
chooses between them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bihuan.core.segmentation import search_words
from bihuan.knowledge import queries, search
from bihuan.knowledge.choices import ArticleStatus, Audience, Language
from bihuan.knowledge.models import Article

CANDIDATES = 20
_LATIN = re.compile(r"^[a-z0-9]+$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Words that narrow, exclude or add to what a question is about.
TWIST = re.compile(
    r"只|仅|别的|其他|其它|另外|另一|顺便|除了|以外|之外|而不是|不是|"
    r"\b(?:only|other|another|different|instead|except|without|also|besides|rather)\b",
    re.IGNORECASE,
)
_QUESTION_MARK = re.compile(r"[?？]")
# Words that carry no subject in a customer's question (beyond the search's question words).
FILLER = frozenset(
    {"一下", "一般", "大概", "现在", "已经", "还", "还是", "要", "想", "能", "会", "请", "呀",
     "亲", "么", "啥", "咋", "哪", "哪里", "在", "吗", "呢", "你们", "我们", "我的", "有",
     "没", "没有", "了", "就", "都", "也", "这个", "那个", "是不是", "多少", "几", "一个",
     "几天", "多长时间", "之后", "以后", "怎么弄", "怎么搞", "咋办", "哪些", "啥时候",
     "什么时候", "时候",
     "for", "of", "on", "in", "at", "it", "me", "we", "our", "your", "and", "or", "be", "am",
     "are", "was", "this", "that", "there", "any", "will", "would", "should", "could", "have",
     "has", "had", "get", "got", "im", "dont", "so", "just", "still", "yet", "with", "from",
     "when", "where", "which", "who", "s", "t"}
)  # fmt: skip


@dataclass(frozen=True)
class AnswerMatch:
    """An article that may answer a question, and how sure the knowledge base is of it."""

    article_id: int
    confidence: float
    coverage: float
    title_coverage: float
    # The trained answer model's version that gave the confidence ("" for the coverage score).
    model: str = ""


def question_language(text: str) -> str:
    """zh when the question has a Chinese character, else en."""
    return Language.ZH if _CJK.search(text) else Language.EN


# A word → the vocabulary words near it (``queries.vocabulary_near``).
Near = Callable[[str], list[str]]


def question_terms(
    question: str, synonyms: dict[str, tuple[str, ...]], near: Near = queries.vocabulary_near
) -> list[search.Term]:
    """The words of ``question`` that say what it is about, each with its synonyms."""
    terms = [t for t in search.parse(question, synonyms) if t.words[0] not in FILLER]
    return [_corrected(t, near) for t in terms]


def _corrected(term: search.Term, near_words: Near = queries.vocabulary_near) -> search.Term:
    """An English word the articles do not use, replaced by the vocabulary word one typo away
    (two for long words): refnud → refund, waranty → warranty. Stricter than the search box's
    correction, since a wrong guess here would send a wrong answer."""
    word = term.words[0]
    if len(term.words) > 1 or not _LATIN.match(word) or len(word) < 4 or word.isdigit():
        return term
    near = near_words(word)
    if word in near:
        return term
    allowed = 1 if len(word) < 7 else 2
    best = min(near, key=lambda w: (_typos(word, w), w), default="")
    if best and _typos(word, best) <= allowed:
        return search.Term((best,), prefix=False)
    return term


def _typos(a: str, b: str) -> int:
    """Edits between two words (insert, delete, replace, swap two neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _match(term: search.Term, tokens: frozenset[str]) -> float:
    """1 when ``tokens`` contain the term (a synonym, an English prefix or stem), ½ when they
    contain a shorter word inside it (or, for one Chinese character, a word with it), else 0."""
    for word in term.words:
        if word in tokens:
            return 1.0
        if _LATIN.match(word) and len(word) >= 3:
            for token in tokens:
                if token.startswith(word) or (len(token) >= 4 and word.startswith(token)):
                    return 1.0
    for word in term.words:
        if len(word) > 2 and not _LATIN.match(word):
            parts = {p for p in search_words(word) if len(p) >= 2 and p != word}
            if parts & tokens:
                return 0.5
        if len(word) == 1 and _CJK.match(word) and any(word in token for token in tokens):
            return 0.5  # 退 of 退款: the character, not the word
    return 0.0


@dataclass(frozen=True)
class Scoring:
    """The knobs of the confidence, tuned on the dev part of the labelled questions."""

    # The share of its rarity that a word no public article uses weighs against the answer
    # (it may be filler such as 东西, or the real subject such as 验证码).
    unknown_weight: float = 0.67
    # How much a twist (``has_twist``) takes off the confidence.
    twist: float = 0.5
    # How hard a second article covering nearly as much pulls the confidence down.
    ambiguity: float = 0.5


SCORING = Scoring()


@dataclass(frozen=True)
class _Word:
    term: search.Term
    rarity: float  # log(1 + N / (1 + df)) among the public articles of the language
    frequency: int


@dataclass(frozen=True)
class _Candidate:
    article_id: int
    title: frozenset[str]
    tokens: frozenset[str]


@dataclass(frozen=True)
class Question:
    """A question read against the knowledge base: its words and the candidate articles."""

    words: tuple[_Word, ...]
    candidates: tuple[_Candidate, ...]
    # It asks with a condition or an exception, or asks two things (see ``TWIST``).
    has_twist: bool = False


def read_question(question: str, *, language: str = "", also: Sequence[int] = ()) -> Question:
    """The database's part of answering: candidates from the full-text index (any word, best
    first), then the articles ``also`` named (a trained model's guesses, when published,
    public and of the language), and how many public articles use each word."""
    return read_questions([(question, language, also)])[0]


# Terms counted in one statement (``search.count_matching``) and ids read in one query.
_CHUNK = 100


def read_questions(asked: Sequence[tuple[str, str, Sequence[int]]]) -> list[Question]:
    """``read_question`` of each (question, language, also), the same questions read in a
    few statements: the synonym table, the vocabulary near each English word, the number of
    public articles, the document frequency of each distinct word and the candidates' words
    are read once for all; the full-text ranking stays one query per question."""
    synonyms = queries.synonym_table()
    near = lru_cache(maxsize=None)(queries.vocabulary_near)
    statuses = [ArticleStatus.PUBLISHED]
    plans: list[tuple[str, str, list[search.Term], list[int]]] = []
    for question, language, also in asked:
        language = language or question_language(question)
        terms = question_terms(question, synonyms, near)
        ids = search.ranked_article_ids(
            terms,
            statuses=statuses,
            mode="any",
            language=language,
            audience=Audience.PUBLIC,
            limit=CANDIDATES,
        )
        ids += [pk for pk in also if pk not in ids]
        plans.append((question, language, terms, ids))
    read = [plan for plan in plans if plan[3]]
    public = Article.objects.filter(status=ArticleStatus.PUBLISHED, audience=Audience.PUBLIC)
    totals: dict[str, int] = {}
    frequencies: dict[tuple[str, search.Term], int] = {}
    for language in sorted({plan[1] for plan in read}):
        totals[language] = public.filter(language=language).count()
        terms = list(dict.fromkeys(t for plan in read if plan[1] == language for t in plan[2]))
        for start in range(0, len(terms), _CHUNK):
            chunk = terms[start : start + _CHUNK]
            counts = search.count_matching(
                chunk, statuses=statuses, language=language, audience=Audience.PUBLIC
            )
            frequencies.update(((language, t), n) for t, n in zip(chunk, counts, strict=True))
    wanted = sorted({pk for plan in read for pk in plan[3]})
    candidates: dict[tuple[str, int], _Candidate] = {}
    for start in range(0, len(wanted), _CHUNK * 5):
        rows = public.filter(pk__in=wanted[start : start + _CHUNK * 5]).values_list(
            "pk", "language", "title_tokens", "body_tokens"
        )
        for pk, language, title, body in rows:
            candidates[language, int(pk)] = _Candidate(
                int(pk),
                frozenset(title.split()),
                frozenset(title.split()) | frozenset(body.split()),
            )
    questions = []
    for question, language, terms, ids in plans:
        if not ids:
            questions.append(Question((), (), has_twist(question)))
            continue
        total = totals[language]
        words = tuple(
            _Word(
                term,
                math.log(1 + total / (1 + frequencies[language, term])),
                frequencies[language, term],
            )
            for term in terms
        )
        found = tuple(candidates[language, i] for i in ids if (language, i) in candidates)
        questions.append(Question(words, found, has_twist(question)))
    return questions


def has_twist(question: str) -> bool:
    """Whether the question narrows, excludes or adds to its subject (只退款不退货, a different
    card, without returning it, and also…) or asks twice: an article about the subject then
    rarely answers what was asked."""
    return bool(TWIST.search(question)) or len(_QUESTION_MARK.findall(question)) > 1


def score_question(question: Question, scoring: Scoring = SCORING) -> list[AnswerMatch]:
    """The candidates of ``question`` with their confidence, most confident first."""
    scored = []
    for candidate in question.candidates:
        found = missing = in_title = 0.0
        for word in question.words:
            share = _match(word.term, candidate.tokens)
            found += word.rarity * share
            in_title += word.rarity * _match(word.term, candidate.title)
            unknown = scoring.unknown_weight if word.frequency == 0 else 1.0
            missing += unknown * word.rarity * (1 - share)
        coverage = found / (found + missing) if found else 0.0
        title_coverage = in_title / (found + missing) if found else 0.0
        scored.append((coverage, title_coverage, candidate.article_id))
    scored.sort(key=lambda row: (-row[0], -row[1]))  # stable: the index's order breaks ties
    matches = []
    for position, (coverage, title_coverage, pk) in enumerate(scored):
        confidence = coverage * (1 - scoring.twist) if question.has_twist else coverage
        if position == 0:
            # Two articles answering about as well: the question is not clearly about one.
            runner_up = scored[1][0] if len(scored) > 1 else 0.0
            confidence -= max(0.0, scoring.ambiguity * (runner_up - (coverage - 0.25)))
        else:
            confidence = min(confidence, scored[0][0]) * 0.5
        matches.append(
            AnswerMatch(
                article_id=pk,
                confidence=round(max(0.0, min(1.0, confidence)), 4),
                coverage=round(coverage, 4),
                title_coverage=round(title_coverage, 4),
            )
        )
    return sorted(matches, key=lambda m: -m.confidence)


def rank_answers(question: str, *, language: str = "") -> list[AnswerMatch]:
    """Published public articles that may answer ``question``, most confident first."""
    return score_question(read_question(question, language=language))


def best_answer(question: str, *, language: str = "") -> AnswerMatch | None:
    """The most confident article for ``question``, or None when none matches at all."""
    matches = rank_answers(question, language=language)
    return matches[0] if matches else None

"""What makes a hashtag worth using: it names a topic — a key phrase, an entity, a term of the field
— not a common word (``#Week``, ``#Make``, ``#Good``) or a number. Common means among the language's
3,000 most frequent words (and English's, which tags everywhere borrow), from ``wordfreq``'s lists,
which ship inside its wheel. Where the article's topic yields too few tags for a platform that
wants many (Instagram's 20–30), the site's niche fills in, then tags a manager adds to any article
shared on Instagram in that language (the post's kind: a new article, worth reading) — never
unrelated words."""

from __future__ import annotations

import re
from functools import lru_cache

COMMON_WORDS = 3000

# Broad tags of an article share, per language: compounds or field words, none of them common words.
SHARED: dict[str, tuple[str, ...]] = {
    "en": ("#DeepDive", "#NowReading", "#BlogArticle", "#FreshPost", "#ReadThisNext", "#WeekendRead", "#SaveForLater", "#ShareTheKnowledge", "#NewBlogPost", "#BlogPost", "#MustRead", "#LinkInBio", "#ReadingList", "#WorthReading", "#LongRead",
           "#KnowledgeSharing", "#LearnSomethingNew", "#NewArticle", "#StayCurious", "#GoodReads", "#BlogUpdate",
           "#ReadOfTheDay", "#ArticleOfTheDay", "#Bookmarked"),
    "de": ("#Wissensdurst", "#Lesezeit", "#Blogempfehlung", "#Artikeltipp", "#Merkliste", "#Weiterbildung", "#Wochenlektüre", "#Blogtipp", "#NeuerBlogbeitrag", "#Blogbeitrag", "#Lesetipp", "#LinkInBio", "#Leseempfehlung", "#Wissenswert", "#NeuerArtikel",
           "#Wissenteilen", "#Lesenswert", "#Blogartikel", "#Fachartikel", "#Lieblingsblog", "#Blogliebe", "#Neuigkeiten",
           "#Tagestipp", "#Blogpost"),
    "es": ("#LecturaDelFinde", "#GuardaloParaDespues", "#ConocimientoCompartido", "#BlogRecomendado", "#ArticuloNuevo", "#Aprendizaje", "#LeerEsVivir", "#TeLoRecomiendo", "#NuevoPost", "#EntradaDeBlog", "#LinkEnLaBio", "#LecturaRecomendada", "#NuevoArticulo", "#AprendeAlgoNuevo",
           "#CompartirConocimiento", "#ParaLeer", "#BlogPost", "#Recomendado", "#LecturaDelDia", "#VaLaPenaLeer",
           "#NuevaEntrada", "#Blogueros", "#Bloguero"),
    "fr": ("#ÀDécouvrir", "#LectureDuWeekend", "#ArticleRecommandé", "#ApprendreEnsemble", "#PartageDeConnaissances", "#NouveauBillet", "#BilletDeBlog", "#VeilleInfo", "#NouvelArticle", "#ArticleDeBlog", "#LienEnBio", "#ALire", "#AÀLire", "#LectureDuJour", "#PartageDeSavoir",
           "#BlogPost", "#Recommandé", "#ApprendreChaqueJour", "#NouveauPost", "#Blogueur", "#Blogueuse", "#ArticleDuJour", "#BonneLecture"),
    "it": ("#DaSalvare", "#LetturaDelWeekend", "#NuovoContenuto", "#ImparareInsieme", "#BlogItaliano", "#PostDelGiorno", "#ArticoloConsigliato", "#NuovoArticolo", "#ArticoloDelBlog", "#LinkInBio", "#DaLeggere", "#LetturaConsigliata", "#ImparareSempre",
           "#CondividereSapere", "#BlogPost", "#NuovoPost", "#LetturaDelGiorno", "#Blogger", "#Consigliato",
           "#ArticoloDelGiorno", "#BuonaLettura", "#Approfondimento", "#Blogging"),
    "pt": ("#SalvaPraDepois", "#LeituraDoFimDeSemana", "#NovoConteudo", "#AprenderJuntos", "#BlogBrasil", "#PostDoDia", "#ArtigoRecomendado", "#Curiosidades", "#NovoPost", "#PostNoBlog", "#LinkNaBio", "#LeituraRecomendada", "#NovoArtigo", "#AprendaAlgoNovo",
           "#CompartilharConhecimento", "#ValeAPenaLer", "#BlogPost", "#LeituraDoDia", "#Blogueiro", "#Recomendo",
           "#ArtigoDoDia", "#BoaLeitura", "#DicaDeLeitura", "#Blogging"),
    "nl": ("#Weekendleesvoer", "#Bewaartip", "#NieuweContent", "#Samenleren", "#Leestijd", "#Kennisbank", "#Artikeltip", "#Nieuwsgierig", "#NieuweBlog", "#Blogbericht", "#LinkInBio", "#Leestip", "#NieuwArtikel", "#Kennisdelen", "#Aanrader",
           "#BlogPost", "#Leesvoer", "#Lezenswaard", "#Dagtip", "#Blogger", "#Blogliefde", "#Vakartikel",
           "#Leesplezier", "#Blogging"),
    "ja": ("#ブログ初心者", "#今日の学び", "#情報発信", "#ためになる", "#ブログ仲間", "#まとめ記事", "#ブログ好き", "#知っておきたい", "#ブログ更新", "#新着記事", "#プロフィールのリンクから", "#読み物", "#おすすめ記事", "#知識共有", "#ブログ記事",
           "#今日の記事", "#学び", "#勉強になる", "#ブロガー", "#保存推奨", "#記事紹介", "#読書記録", "#新しい発見"),
    "zh": ("#读书分享", "#技术分享", "#经验分享", "#深度好文", "#每日一读", "#知识点", "#推荐收藏", "#文章推荐", "#博客更新", "#新文章", "#链接在简介", "#推荐阅读", "#知识分享", "#博客文章", "#每日阅读", "#干货分享", "#学习笔记",
           "#值得一读", "#好文推荐", "#博主", "#收藏", "#新发现", "#长文"),
    "ko": ("#블로그소통", "#오늘의공부", "#정보글", "#함께읽어요", "#추천포스팅", "#지식나눔", "#블로그스타그램", "#알아두면좋은", "#블로그업데이트", "#새글", "#프로필링크", "#추천글", "#지식공유", "#블로그글", "#오늘의글", "#읽을거리", "#공부기록",
           "#꿀팁공유", "#블로거", "#저장필수", "#새로운발견", "#정보공유", "#좋은글"),
}  # fmt: skip


@lru_cache(maxsize=64)
def _common(language: str) -> frozenset[str]:
    from wordfreq import top_n_list

    try:
        return frozenset(top_n_list(language, COMMON_WORDS))
    except (LookupError, ValueError):  # a language wordfreq does not list: nothing is known to be common
        return frozenset()


def common(tag: str, language: str) -> bool:
    """A bare number, or a single word among the language's (or English's) most frequent."""
    body = tag.lstrip("#")
    if not body or body.isdigit() or body.lower().rstrip("0123456789") == "":
        return True
    word = body.lower()
    return word in _common(language.split("-")[0].lower()) or word in _common("en")


_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def inflected(tag: str, language: str) -> bool:
    """English words the text conjugated, not topic names: an extracted ``#Easiest`` or ``#DatabasesSaved``
    (a past form or a superlative, alone or ending a phrase). Only the
    unambiguous endings count: ``-ing`` names practices (``#EventSourcing``), ``-est`` and ``-ly``
    end nouns too (``#Interest``, ``#Supply``)."""
    if not language.lower().startswith("en"):
        return False
    parts = _PARTS.findall(tag.lstrip("#"))
    if not parts:
        return False
    w = parts[-1].lower()  # a phrase is named by its last word: #DistributedSystems names systems
    return len(w) > 4 and ((w.endswith("ed") and not w.endswith("eed")) or w.endswith("iest"))


def shared(language: str) -> tuple[str, ...]:
    """The broad tags of an article share in ``language`` (English where none are kept for it)."""
    return SHARED.get(language.split("-")[0].lower(), SHARED["en"])

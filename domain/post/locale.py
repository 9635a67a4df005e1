"""The few fixed phrases a post needs, per language, so a non-English article stays in its language.
Languages without an entry get emoji-only phrases rather than English ones."""
from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "en": {"read": "Read the full article:", "more": "Read more:", "bio": "Link in bio 🔗", "takeaways": "Key takeaways",
           "q": "Q:", "a": "A:", "new": "New on the blog:", "thread": "A thread 🧵", "swipe": "Swipe through ➡️",
           "comment": "What do you think? Tell us in the comments.", "pov": "POV:", "save": "Save this for later 📌",
           "full": "The full story:"},
    "de": {"read": "Den ganzen Artikel lesen:", "more": "Mehr lesen:", "bio": "Link in der Bio 🔗", "takeaways": "Das Wichtigste",
           "q": "F:", "a": "A:", "new": "Neu im Blog:", "thread": "Ein Thread 🧵", "swipe": "Jetzt durchwischen ➡️",
           "comment": "Was meint ihr? Schreibt es in die Kommentare.", "pov": "POV:", "save": "Speichern für später 📌",
           "full": "Die ganze Geschichte:"},
    "es": {"read": "Lee el artículo completo:", "more": "Leer más:", "bio": "Enlace en la bio 🔗", "takeaways": "Claves",
           "q": "P:", "a": "R:", "new": "Nuevo en el blog:", "thread": "Un hilo 🧵", "swipe": "Desliza ➡️",
           "comment": "¿Qué opinas? Cuéntanos en los comentarios.", "pov": "POV:", "save": "Guárdalo para después 📌",
           "full": "La historia completa:"},
    "fr": {"read": "Lire l'article complet :", "more": "En savoir plus :", "bio": "Lien en bio 🔗", "takeaways": "À retenir",
           "q": "Q :", "a": "R :", "new": "Nouveau sur le blog :", "thread": "Un thread 🧵", "swipe": "Faites défiler ➡️",
           "comment": "Qu'en pensez-vous ? Dites-le en commentaire.", "pov": "POV :", "save": "À garder pour plus tard 📌",
           "full": "L'histoire complète :"},
    "it": {"read": "Leggi l'articolo completo:", "more": "Leggi di più:", "bio": "Link in bio 🔗", "takeaways": "Punti chiave",
           "q": "D:", "a": "R:", "new": "Novità sul blog:", "thread": "Un thread 🧵", "swipe": "Scorri ➡️",
           "comment": "Che ne pensi? Scrivilo nei commenti.", "pov": "POV:", "save": "Salvalo per dopo 📌",
           "full": "La storia completa:"},
    "pt": {"read": "Leia o artigo completo:", "more": "Leia mais:", "bio": "Link na bio 🔗", "takeaways": "Pontos-chave",
           "q": "P:", "a": "R:", "new": "Novo no blog:", "thread": "Uma thread 🧵", "swipe": "Deslize ➡️",
           "comment": "O que você acha? Conte nos comentários.", "pov": "POV:", "save": "Salve para depois 📌",
           "full": "A história completa:"},
    "nl": {"read": "Lees het hele artikel:", "more": "Lees meer:", "bio": "Link in bio 🔗", "takeaways": "De belangrijkste punten",
           "q": "V:", "a": "A:", "new": "Nieuw op de blog:", "thread": "Een thread 🧵", "swipe": "Swipe door ➡️",
           "comment": "Wat vind jij? Laat het weten in de reacties.", "pov": "POV:", "save": "Bewaar dit voor later 📌",
           "full": "Het hele verhaal:"},
    "ja": {"read": "記事全文はこちら：", "more": "続きはこちら：", "bio": "リンクはプロフィールから 🔗", "takeaways": "ポイント",
           "q": "Q：", "a": "A：", "new": "ブログ新着：", "thread": "スレッド 🧵", "swipe": "スワイプしてね ➡️",
           "comment": "あなたはどう思いますか？コメントで教えてください。", "pov": "POV：", "save": "保存して後で読もう 📌",
           "full": "詳しくはこちら："},
    "zh": {"read": "阅读全文：", "more": "了解更多：", "bio": "链接在简介中 🔗", "takeaways": "要点",
           "q": "问：", "a": "答：", "new": "博客新文：", "thread": "长推 🧵", "swipe": "向左滑动 ➡️",
           "comment": "你怎么看？欢迎在评论区留言。", "pov": "POV：", "save": "收藏起来慢慢看 📌", "full": "完整内容："},
}
NEUTRAL = {"read": "👉", "more": "👉", "bio": "🔗 ⬆️", "takeaways": "✅", "q": "❓", "a": "💡", "new": "🆕", "thread": "🧵",
           "swipe": "➡️", "comment": "💬 👇", "pov": "👀", "save": "📌", "full": "👉"}


def phrases(language: str) -> dict[str, str]:
    return PHRASES.get(language[:2].lower(), NEUTRAL)

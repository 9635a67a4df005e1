"""A video project's lifecycle: what each request on a project emits, decided from its current state.

    created ─▶ script_review ──approve──▶ approved ──voice/visuals/compose──▶ rendering ─▶ voiced
       │            ▲   │                    │                                   │      visuals_ready
       │            └───┘ edit, regenerate   └── (review off: straight through) ─┘      ready | failed
       └─────────────────────────────────────── delete ──────────────────────────────▶ cancelled

A project in review (``review``) stops at its script after every change until a person approves it;
one without review goes straight on to its video. Pure: the article and the project's state come in,
events and at most one render job go out. :func:`handle` is the projects' single writer's one entry
(``streams/direct.py``), deciding a command against the state :func:`fold` made of the project's own
events; nothing else decides a project.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from commands.exceptions import InvalidContent, InvalidTransition, ProjectNotFound, VersionConflict
from domain.platforms import preset as preset_of
from domain.video.outline import outline
from domain.video.scenes import layout_problem
from domain.video.script import draft_script, from_doc, regenerate, to_doc, tokens, with_layout
from schemas import commands as c
from schemas import events as e

Until = Literal["voice", "visuals", "video"]
FINAL = ("cancelled",)


@dataclass(frozen=True)
class Project:
    """What the decisions need of a project, folded from its own events (:func:`fold`); ``version``
    counts the lifecycle events folded (:func:`counted`), as the read model counts them."""

    project_id: str
    site_id: str
    content_id: str
    preset: e.VideoPreset
    voice_id: str
    form: Literal["short", "long"]
    review: bool
    motion: e.Motion
    status: str
    revision: int
    approved_revision: int | None
    script: e.VideoScript | None
    url: str = ""
    summary: str = ""
    keywords: tuple[str, ...] = ()
    music_url: str | None = None
    version: int = 0


@dataclass(frozen=True)
class Decision:
    events: list[e.Event]
    job: c.RenderVideo | None = None


def _job(p: Project, script: e.VideoScript, revision: int, until: Until) -> c.RenderVideo:
    return c.RenderVideo(
        project_id=p.project_id,
        site_id=p.site_id,
        preset=p.preset,
        voice_id=p.voice_id,
        revision=revision,
        script=script,
        until=until,
        motion=p.motion,
        summary=p.summary,
        keywords=list(p.keywords),
        url=p.url,
        music_url=p.music_url,
        content_id=p.content_id,
    )


def _go(p: Project, events: list[e.Event], script: e.VideoScript, revision: int, until: Until) -> Decision:
    requested = e.VideoRenderRequested(project_id=p.project_id, revision=revision, until=until)
    return Decision([*events, requested], _job(p, script, revision, until))


def _changed(p: Project, changed: e.Event, script: e.VideoScript, revision: int) -> Decision:
    """After any change to the script: a project in review waits for approval; one without goes on."""
    if p.review:
        return Decision([changed])
    return _go(p, [changed, e.VideoScriptApproved(project_id=p.project_id, revision=revision, by="auto")], script, revision, "video")


def _live(p: Project, action: str) -> None:
    if p.status in FINAL:
        raise InvalidTransition(f"cannot {action} a project that is {p.status}", field="status")


# ---------------------------------------------------------------- decisions
def start(
    article: e.ContentPublished,
    *,
    project_id: str,
    preset: e.VideoPreset,
    voice_id: str,
    words_per_second: float,
    review: bool,
    motion: e.Motion = "mixed",
    music_url: str | None = None,
    script: e.VideoScript | None = None,
    note: str = "",
) -> Decision:
    """A new project of an article: created, and its script drafted (``script``: as another writer
    rewrote the rule writer's draft, ``note`` saying what it kept and why)."""
    form = preset_of(preset).form
    created = e.VideoProjectCreated(
        project_id=project_id,
        site_id=article.site_id,
        content_id=article.content_id,
        preset=preset,
        voice_id=voice_id,
        form=form,
        title=article.title,
        review=review,
        motion=motion,
        url=str(article.url),
        summary=article.excerpt,
        keywords=list(article.keywords),
        music_url=music_url,
    )
    p = evolve(None, created)
    assert p is not None
    script = script or draft(article, form, words_per_second)
    drafted = e.VideoScriptDrafted(project_id=project_id, revision=1, script=script, note=note)
    d = _changed(p, drafted, script, 1)
    return Decision([created, *d.events], d.job)


def draft(article: e.ContentPublished, form: Literal["short", "long"], words_per_second: float) -> e.VideoScript:
    """The rule writer's script of the article."""
    parts = outline(article.title, article.html, tuple(str(u) for u in article.image_urls))
    return to_doc(draft_script(parts, form=form, language=article.language, words_per_second=words_per_second, url=str(article.url)))


def redraft(p: Project, article: e.ContentPublished, script: e.VideoScript | None = None, note: str = "") -> Decision:
    """generate-script: the whole script again from the article (a person's edits are replaced)."""
    _live(p, "redraft the script of")
    script = script or draft(article, p.form, p.script.words_per_second if p.script else 2.6)
    drafted = e.VideoScriptDrafted(project_id=p.project_id, revision=p.revision + 1, script=script, note=note)
    return _changed(p, drafted, script, p.revision + 1)


def edit(p: Project, cmd: c.EditVideoScript) -> Decision:
    _live(p, "edit the script of")
    if p.script is None:
        raise InvalidTransition("the project has no script yet", field="status")
    if cmd.revision != p.revision:
        raise VersionConflict(f"revision: the script is at revision {p.revision}, the edit was made on {cmd.revision}", field="revision")
    script = from_doc(p.script)
    changed: list[str] = []
    for i, new in enumerate(cmd.sections):
        at = next((j for j, s in enumerate(script.sections) if s.id == new.section_id), None)
        if at is None:
            raise ProjectNotFound(
                f"sections[{i}].section_id: no section {new.section_id!r} in this script", field=f"sections.{i}.section_id"
            )
        if new.text is None and new.layout is None:
            raise InvalidContent(f"sections[{i}]: give its text, its layout or both", field=f"sections.{i}.text")
        if new.text is not None:
            if not tokens(new.text):
                raise InvalidContent(f"sections[{i}].text: nothing to say", field=f"sections.{i}.text")
            before = {s.id for s in script.sections}
            script = script.replace(new.section_id, new.text)
            changed += sorted({s.id for s in script.sections} - before)
        if new.layout is not None:
            section = script.sections[at]
            why = layout_problem(section, new.layout, vertical=p.form == "short")
            if why:
                raise InvalidContent(f"sections[{i}].layout: {why}", field=f"sections.{i}.layout")
            script = with_layout(script, section.id, new.layout)
            changed += [] if section.id in changed else [section.id]
    doc = to_doc(script, writer="edited")
    ev = e.VideoScriptEdited(project_id=p.project_id, revision=p.revision + 1, script=doc, changed=changed, by=cmd.by)
    return _changed(p, ev, doc, p.revision + 1)


def regenerate_section(p: Project, article: e.ContentPublished, section_id: str) -> Decision:
    """One section written again from the article; only its segment is rendered again."""
    _live(p, "regenerate a section of")
    if p.script is None:
        raise InvalidTransition("the project has no script yet", field="status")
    parts = outline(article.title, article.html, tuple(str(u) for u in article.image_urls))
    try:
        script = regenerate(parts, from_doc(p.script), section_id, attempt=p.revision)
    except KeyError:
        raise ProjectNotFound(f"section_id: no section {section_id!r} in this script", field="section_id") from None
    doc = to_doc(script, writer=p.script.writer)
    new_id = next((s.id for s, old in zip(script.sections, p.script.sections, strict=True) if s.id != old.section_id), section_id)
    note = "" if new_id != section_id else "the article has nothing else to say in this section: kept as it was"
    ev = e.VideoScriptDrafted(project_id=p.project_id, revision=p.revision + 1, script=doc, section_id=new_id, note=note)
    return _changed(p, ev, doc, p.revision + 1)


def approve(p: Project, cmd: c.ApproveVideoScript) -> Decision:
    _live(p, "approve the script of")
    if p.script is None:
        raise InvalidTransition("the project has no script yet", field="status")
    if cmd.revision is not None and cmd.revision != p.revision:
        raise VersionConflict(f"revision: the script is at revision {p.revision}, not {cmd.revision}", field="revision")
    events: list[e.Event] = []
    if p.approved_revision != p.revision:
        events.append(e.VideoScriptApproved(project_id=p.project_id, revision=p.revision, by=cmd.by))
    return _go(p, events, p.script, p.revision, "video") if cmd.render else Decision(events)


def produce(p: Project, until: Until) -> Decision:
    """generate-voiceover, generate-visuals, compose: the approved script as far as ``until``."""
    _live(p, "render")
    if p.script is None or p.approved_revision != p.revision:
        raise InvalidTransition(
            f"the script (revision {p.revision}) is not approved: approve it first (POST .../approve-script/)", field="status"
        )
    return _go(p, [], p.script, p.revision, until)


def cancel(p: Project, by: str = "") -> Decision:
    if p.status in FINAL:
        return Decision([])
    return Decision([e.VideoProjectCancelled(project_id=p.project_id, by=by)])


def evolve(p: Project | None, ev: e.Event) -> Project | None:
    """The project after one of its events, as the ``video_projects`` read model applies it (the
    projection does the same in SQL). A render result names its revision: one of an older revision
    (the script changed while it rendered) leaves the project where it is."""
    if isinstance(ev, e.VideoProjectCreated):
        return p or Project(
            project_id=ev.project_id,
            site_id=ev.site_id,
            content_id=ev.content_id,
            preset=ev.preset,
            voice_id=ev.voice_id,
            form=ev.form,
            review=ev.review,
            motion=ev.motion,
            status="created",
            revision=0,
            approved_revision=None,
            script=None,
            url=ev.url,
            summary=ev.summary,
            keywords=tuple(ev.keywords),
            music_url=ev.music_url,
        )
    if p is None or p.status == "cancelled":
        return p
    match ev:
        case e.VideoScriptDrafted() | e.VideoScriptEdited() if ev.revision > p.revision:
            return replace(p, revision=ev.revision, script=ev.script, status="script_review")
        case e.VideoScriptApproved() if ev.revision == p.revision and p.status == "script_review":
            return replace(p, approved_revision=ev.revision, status="approved")
        case e.VideoRenderRequested() if ev.revision == p.revision:
            return replace(p, status="rendering")
        case e.VideoVoiced() if ev.revision == p.revision and p.status == "rendering":
            return replace(p, status="voiced")
        case e.VideoVisualsPrepared() if ev.revision == p.revision and p.status == "rendering":
            return replace(p, status="visuals_ready")
        case e.VideoRendered() if ev.revision == p.revision:
            return replace(p, status="ready")
        case e.VideoProjectFailed() if ev.revision in (p.revision, 0) and p.status != "ready":
            return replace(p, status="failed")
        case e.VideoProjectCancelled():
            return replace(p, status="cancelled")
    return p


def counted(ev: e.Event) -> bool:
    """Whether an event on an existing project is one more of its versions: every lifecycle event,
    once (by its id), whether or not it moved the project; not a render's progress tick, nor a
    creation again. The read model counts the same (``projections.read_models.VIDEO_PROJECTS``)."""
    return not isinstance(ev, e.VideoStageProgressed | e.VideoProjectCreated)


def fold(p: Project | None, ev: e.Event) -> Project | None:
    """:func:`evolve`, counting the project's version: its creation is version 1."""
    after = evolve(p, ev)
    if after is None:
        return None
    if p is None:
        return replace(after, version=1)
    return replace(after, version=p.version + 1) if counted(ev) else after


def handle(p: Project | None, cmd: c.DecideVideo) -> Decision:
    """The single writer's decision on a command, against the project's own state (folded from its
    events): another site's project does not exist, and a command decided on another version than
    the project's (``expected_version``, the caller's ``If-Match``) is refused."""
    action = cmd.action
    if isinstance(action, c.StartVideoProject):
        if p is not None:
            raise InvalidTransition(f"video project {cmd.project_id} exists already (it is {p.status})", field="project_id")
        if action.article.site_id != cmd.site_id:
            raise ProjectNotFound(f"no content {action.article.content_id} of this site", field="content_id")
        return _start(cmd.project_id, action)
    if p is None or p.site_id != cmd.site_id:  # another site's project does not exist for this caller
        raise ProjectNotFound(f"no video project {cmd.project_id}", field="project_id")
    if cmd.expected_version is not None and cmd.expected_version != p.version:
        raise VersionConflict(
            f"video project {p.project_id} is at version {p.version} ({p.status}, script revision {p.revision}); this command was"
            f" decided on version {cmd.expected_version}: read it again and retry",
            field="version",
        )
    match action:
        case c.EditVideoScript():
            return edit(p, action if action.by else action.model_copy(update={"by": _by(cmd)}))
        case c.ApproveVideoScript():
            return approve(p, action if action.by else action.model_copy(update={"by": _by(cmd)}))
        case c.RedraftVideoScript():
            return redraft(p, action.article, action.script, action.note)
        case c.RegenerateVideoSection():
            return regenerate_section(p, action.article, action.section_id)
        case c.ProduceVideo():
            return produce(p, action.until)
        case c.CancelVideoProject():
            return cancel(p, by=action.by or _by(cmd))
    raise InvalidTransition(f"{type(action).__name__}: not a command on a video project", field="action")


def _by(cmd: c.DecideVideo) -> str:
    return f"key {cmd.requested_by}" if cmd.requested_by else ""


def _start(project_id: str, a: c.StartVideoProject) -> Decision:
    if a.failed is None:
        return start(
            a.article,
            project_id=project_id,
            preset=a.preset,
            voice_id=a.voice_id,
            words_per_second=a.words_per_second,
            review=a.review,
            motion=a.motion,
            music_url=a.music_url,
            script=a.script,
            note=a.note,
        )
    created = e.VideoProjectCreated(
        project_id=project_id,
        site_id=a.article.site_id,
        content_id=a.article.content_id,
        preset=a.preset,
        voice_id=a.voice_id,
        form=preset_of(a.preset).form,
        title=a.article.title,
        review=a.review,
    )
    return Decision([created, e.VideoProjectFailed(project_id=project_id, stage="voice", reason=a.failed)])

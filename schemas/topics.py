"""Every topic, in one place. Values are CloudEvents JSON (bytes), keys the aggregate id.

| topic                     | key        | carries                                             |
|---------------------------|------------|-----------------------------------------------------|
| content.published         | content_id | ContentPublished from the upstream pipeline          |
| social.posts.generate     | content_id | GeneratePosts commands (intake and HTTP → adapt)     |
| social.posts.commands     | post_id    | DecidePost: people's commands, for the post's single writer |
| social.posts              | post_id    | the post lifecycle: PostDrafted … PostPublished      |
| social.publish            | post_id    | PublishPost commands (schedule → publish)            |
| social.engagement         | post_id    | EngagementRecorded; FollowersCounted (keyed by account_id) |
| social.accounts           | account_id | AccountConnected … AccountDisconnected (never tokens)|
| video.projects.commands   | project_id | DecideVideo: commands on a project, for its single writer |
| social.alerts             | subject    | PostOverdue, WebhookEndpointDisabled: findings the notifier turns into incidents |
| social.notifications      | notification_id | NotificationRaised / NotificationResolved            |
| social.inbound            | platform   | InboundReceived: verified platform webhooks, as received |
| social.inbox              | thread     | CommentReceived, MessageReceived (keyed by post or conversation) and the inbox's replies |
| social.automations.commands | automation_id | DecideAutomation: commands on an automation, for its single writer |
| social.automations        | automation_id | AutomationCreated … AutomationDeleted                |
| social.automation.runs    | run_id     | a person's run through a flow: AutomationRunStarted … AutomationRunEnded |
| social.usage.commands     | site_id    | DecideCredits: grant, reserve, commit, release, for the account's single writer |
| social.usage              | site_id    | CreditsGranted, CreditsReserved, CreditsCommitted, CreditsReleased, CreditsRefused |
| social.queues.commands    | queue_id   | DecideQueue: create, add, prioritise, pause, resume, fire, refuse, for the queue's single writer |
| social.queues             | queue_id   | QueueCreated … QueueOccurrenceFired / …Skipped / …Refused |
| <any of the above>.dlq    | original   | the original bytes and headers + dlq-* reason headers|
"""

from __future__ import annotations

CONTENT_PUBLISHED = "content.published"
POSTS_GENERATE = "social.posts.generate"
POSTS = "social.posts"
POST_COMMANDS = "social.posts.commands"
PUBLISH = "social.publish"
ENGAGEMENT = "social.engagement"
ACCOUNTS = "social.accounts"
SITES = "social.sites"
VIDEO_PROJECTS = "video.projects"
VIDEO_RENDER = "video.render"
VIDEO_COMMANDS = "video.projects.commands"
ALERTS = "social.alerts"
NOTIFICATIONS = "social.notifications"
INBOUND = "social.inbound"
INBOX = "social.inbox"
AUTOMATION_COMMANDS = "social.automations.commands"
AUTOMATIONS = "social.automations"
AUTOMATION_RUNS = "social.automation.runs"
USAGE_COMMANDS = "social.usage.commands"
USAGE = "social.usage"
QUEUE_COMMANDS = "social.queues.commands"
QUEUES = "social.queues"

CONSUMED = (
    CONTENT_PUBLISHED,
    POSTS_GENERATE,
    POST_COMMANDS,
    POSTS,
    PUBLISH,
    VIDEO_PROJECTS,
    VIDEO_RENDER,
    VIDEO_COMMANDS,
    INBOUND,
    INBOX,
    AUTOMATION_COMMANDS,
    AUTOMATIONS,
    USAGE_COMMANDS,
)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


ALL = (
    CONTENT_PUBLISHED,
    POSTS_GENERATE,
    POST_COMMANDS,
    POSTS,
    PUBLISH,
    ENGAGEMENT,
    ACCOUNTS,
    SITES,
    VIDEO_PROJECTS,
    VIDEO_RENDER,
    VIDEO_COMMANDS,
    ALERTS,
    NOTIFICATIONS,
    INBOUND,
    INBOX,
    AUTOMATION_COMMANDS,
    AUTOMATIONS,
    AUTOMATION_RUNS,
    USAGE_COMMANDS,
    USAGE,
    *(dlq(t) for t in CONSUMED),
    QUEUE_COMMANDS,
    dlq(QUEUE_COMMANDS),
    QUEUES,
    dlq(QUEUES),
)

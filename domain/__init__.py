"""What is true of content, posts, schedules, accounts and engagement, whatever stores or sends them.

Pure: imports :mod:`schemas` and libraries that compute (text, images' geometry), never a database,
a broker or an HTTP client. Read in flow order: :mod:`.platforms` (what each platform allows),
:mod:`.post` (an article becomes a post), :mod:`.schedule` (when it goes out), :mod:`.accounts`
(who posts it), :mod:`.engagement` (what it earned).
"""

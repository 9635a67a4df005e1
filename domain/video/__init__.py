"""The Video Creator's pure core: an article's outline, the script read from it (one token stream
for what is said and what is shown), chapters and SEO under YouTube's rules."""

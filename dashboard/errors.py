"""Named exceptions. The library raises them; the CLI and the pages translate them."""


class ChipwatchError(Exception):
    """Base class: the message is one clear line meant for the user."""


class SourceError(ChipwatchError):
    """A source given to ingest cannot be used (missing path, unsupported scheme, bad OPML)."""


class FetchError(ChipwatchError):
    """A feed could not be fetched (network error, HTTP error, size cap, refused address)."""


class PolicyRefusal(FetchError):
    """Our own policy refused the fetch (a private address without --allow-private): not a
    failure of the feed, so it starts no backoff."""


class WatcherRunning(ChipwatchError):
    """Another `chipwatch watch` already keeps this database fresh."""


class ParseError(ChipwatchError):
    """A document yielded no feed at all (HTML page, empty body, unknown XML)."""


class TaxonomyError(ChipwatchError):
    """The taxonomy file is invalid; the message names the file, the key and the problem."""


class StoreError(ChipwatchError):
    """The database cannot be opened or is not a Chipwatch database."""


class SettingError(ChipwatchError):
    """A setting with a name that does not exist or a value of the wrong kind."""


class FeedbackError(ChipwatchError):
    """A correction that cannot be recorded: unknown kind, theme or company, or a headline or
    story that no longer exists."""


class AccessError(ChipwatchError):
    """The roles file is unusable (syntax, unknown role), or a user may not do what was asked."""


class Forbidden(AccessError):
    """The signed-in user's role does not allow this action."""

-- The collectors' web workspace (`/ui/`, docs/reference/workspace.md).
-- A login lets a known colleague sign in: an access role (viewer,
-- operator, admin: the API's roles, not the colleague's collection role),
-- an argon2 hash of the password (PHC string; NULL: sign-in by one-time
-- link only) and the language of the pages.
CREATE TABLE logins (
    email         TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT,
    language      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A signed-in browser. The cookie holds a random 256-bit token; only its
-- SHA-256 is stored. `csrf` is the session's form token; instants are
-- RFC 3339 UTC text, so they compare as text.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_email ON sessions (email);

-- One-time sign-in links (`relance login link`): the SHA-256 of the
-- link's token, valid until `expires_at`, used once.
CREATE TABLE login_links (
    token_hash TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

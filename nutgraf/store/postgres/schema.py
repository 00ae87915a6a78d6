"""The PostgreSQL schema, one migration per version (recorded in ``schema_version``; see
``database.py``, which applies them)."""

from __future__ import annotations

MIGRATIONS = [
    # 1: articles and their analysis
    """
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE articles (
        id text PRIMARY KEY, url text, title text, published text, source text,
        authors text NOT NULL, origin text NOT NULL, content_hash text NOT NULL,
        ingested_at text NOT NULL, text text NOT NULL, signature bytea, embedding_model text
    );
    CREATE INDEX articles_published ON articles (left(published, 10));
    CREATE INDEX articles_source ON articles (source);
    CREATE TABLE sentences (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        idx integer NOT NULL, start integer NOT NULL, "end" integer NOT NULL,
        paragraph integer NOT NULL, text text NOT NULL, embedding vector,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        PRIMARY KEY (article_id, idx)
    );
    CREATE INDEX sentences_tsv ON sentences USING gin (tsv);
    CREATE TABLE entities (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        position integer NOT NULL, name text NOT NULL, label text NOT NULL, mentions text NOT NULL,
        PRIMARY KEY (article_id, position)
    );
    CREATE INDEX entities_name ON entities (name);
    CREATE TABLE quotes (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        position integer NOT NULL, text text NOT NULL, start integer NOT NULL,
        "end" integer NOT NULL, sentence_index integer NOT NULL, speaker text,
        PRIMARY KEY (article_id, position)
    );
    CREATE TABLE times (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        position integer NOT NULL, text text NOT NULL, start integer NOT NULL,
        "end" integer NOT NULL, sentence_index integer NOT NULL, resolved text,
        PRIMARY KEY (article_id, position)
    );
    CREATE TABLE cache (
        namespace text NOT NULL, key text NOT NULL,
        article_id text REFERENCES articles (id) ON DELETE CASCADE,
        value text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (namespace, key)
    );
    CREATE INDEX cache_article ON cache (article_id);
    CREATE INDEX cache_newest ON cache (namespace, created_at DESC, seq DESC);
    """,
    # 2: reader data in tables of its own, out of the cache (where version 1 kept it)
    """
    CREATE TABLE conversations (
        id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_used_at timestamptz NOT NULL DEFAULT clock_timestamp(), article_ids jsonb NOT NULL DEFAULT '[]'
    );
    CREATE INDEX conversations_last_used ON conversations (last_used_at);
    CREATE TABLE turns (
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position integer NOT NULL, asked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        question text NOT NULL, answer text, article_ids jsonb NOT NULL, people jsonb NOT NULL,
        resolved text NOT NULL DEFAULT '',
        PRIMARY KEY (conversation_id, position)
    );
    CREATE TABLE feedback (
        id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        rating text NOT NULL, question text NOT NULL, answer text, comment text, citations jsonb NOT NULL,
        article_id text, conversation_id text, seq bigint GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX feedback_newest ON feedback (received_at DESC, seq DESC);
    INSERT INTO conversations (id, created_at, last_used_at)
        SELECT key, created_at, created_at FROM cache WHERE namespace = 'conversation';
    INSERT INTO turns (conversation_id, position, asked_at, question, answer, article_ids, people)
        SELECT c.key, t.n - 1, c.created_at, coalesce(t.turn ->> 'question', ''), t.turn ->> 'answer',
               coalesce(t.turn -> 'article_ids', '[]'), coalesce(t.turn -> 'people', '[]')
        FROM cache c CROSS JOIN LATERAL jsonb_array_elements(c.value::jsonb) WITH ORDINALITY AS t (turn, n)
        WHERE c.namespace = 'conversation';
    UPDATE conversations c SET article_ids = coalesce((
        SELECT jsonb_agg(DISTINCT a.id) FROM turns t CROSS JOIN LATERAL jsonb_array_elements(t.article_ids) AS a (id)
        WHERE t.conversation_id = c.id), '[]');
    INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id, conversation_id)
        SELECT key, coalesce((value::jsonb ->> 'received_at')::timestamptz, created_at),
               coalesce(value::jsonb ->> 'rating', ''), coalesce(value::jsonb ->> 'question', ''),
               value::jsonb ->> 'answer', value::jsonb ->> 'comment', coalesce(value::jsonb -> 'citations', '[]'),
               value::jsonb ->> 'article_id', value::jsonb ->> 'conversation_id'
        FROM cache WHERE namespace = 'feedback' ORDER BY seq;
    DELETE FROM cache WHERE namespace IN ('conversation', 'feedback');
    """,
    # 3: work to do per article (preparing it for readers), shared by every server
    """
    CREATE TABLE jobs (
        kind text NOT NULL, article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        state text NOT NULL, again boolean NOT NULL DEFAULT false, worker text,
        attempts integer NOT NULL DEFAULT 0, queued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        started_at timestamptz, heartbeat_at timestamptz, finished_at timestamptz, error text,
        PRIMARY KEY (kind, article_id)
    );
    CREATE INDEX jobs_waiting ON jobs (kind, state, queued_at);
    """,
    # 4: MinHash LSH bands (see analysis/fingerprint.py), cut from the stored signatures
    """
    CREATE TABLE signature_bands (
        band smallint NOT NULL, key bytea NOT NULL,
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        PRIMARY KEY (band, key, article_id)
    );
    CREATE INDEX signature_bands_article ON signature_bands (article_id);
    INSERT INTO signature_bands (band, key, article_id)
    SELECT n, substring(a.signature FROM n * 32 + 1 FOR 32), a.id
    FROM articles a, generate_series(0, 15) AS n WHERE length(a.signature) = 512;
    """,
    # 5: a quote's form (direct, or a reported statement with its verb) and whether its
    # quotation mark closes; a stored quote that ran to its paragraph's end is not closed
    """
    ALTER TABLE quotes ADD COLUMN form text NOT NULL DEFAULT 'direct',
        ADD COLUMN closed boolean NOT NULL DEFAULT true, ADD COLUMN verb text;
    UPDATE quotes q SET closed = false FROM articles a
    WHERE a.id = q.article_id AND substr(a.text, q."end" + 1, 1) NOT IN ('”', '"');
    """,
]

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
    # 6: the question log (what readers ask, for the newsroom: see nutgraf/store/question_log.py);
    # times are seconds since 1970, as on SQLite, so one SQL serves both; the counts per
    # wording, group and day are kept up by the trigger on asks
    """
    CREATE TABLE insight_groups (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, article_id text NOT NULL, form text NOT NULL,
        mean bytea NOT NULL,
        size integer NOT NULL, asks integer NOT NULL DEFAULT 0, answered integer NOT NULL DEFAULT 0,
        closest integer NOT NULL DEFAULT 0, not_said integer NOT NULL DEFAULT 0, panel integer NOT NULL DEFAULT 0,
        helpful integer NOT NULL DEFAULT 0, not_helpful integer NOT NULL DEFAULT 0,
        wrong_citation integer NOT NULL DEFAULT 0, last_asked bigint NOT NULL DEFAULT 0
    );
    -- Covering: the archive's stories are ranked by their groups' counts from the index alone.
    CREATE INDEX insight_groups_article ON insight_groups (article_id, asks, answered, closest, not_said, panel,
                                                           helpful, not_helpful, wrong_citation);
    CREATE INDEX insight_groups_asks ON insight_groups (asks);
    CREATE INDEX insight_groups_unanswered ON insight_groups ((closest + not_said));
    CREATE TABLE insight_questions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, article_id text NOT NULL, key text NOT NULL,
        text text NOT NULL, group_id bigint NOT NULL REFERENCES insight_groups (id),
        asks integer NOT NULL DEFAULT 0, UNIQUE (article_id, key)
    );
    CREATE INDEX insight_questions_group ON insight_questions (group_id);
    CREATE INDEX insight_questions_unasked ON insight_questions (asks) WHERE asks <= 0;
    CREATE TABLE asks (
        id bigint PRIMARY KEY, asked_at bigint NOT NULL,
        question_id bigint NOT NULL REFERENCES insight_questions (id),
        asked text, kind text NOT NULL, grade text NOT NULL, confidence real NOT NULL, latency_ms integer,
        language text NOT NULL, panel smallint NOT NULL, sample smallint NOT NULL, rating text
    );
    -- Covering too: a period's asks across the archive are counted from the index alone.
    CREATE INDEX asks_asked_at ON asks (asked_at, question_id, grade, panel, sample, rating);
    -- Covering: the asks of an article or a period are counted from the index alone (ids
    -- are random, so reading the table for each ask would be a page read apiece).
    CREATE INDEX asks_question ON asks (question_id, asked_at, grade, panel, sample, rating);
    CREATE TABLE insight_days (
        day bigint PRIMARY KEY, asks integer NOT NULL, answered integer NOT NULL, closest integer NOT NULL,
        not_said integer NOT NULL, panel integer NOT NULL, sample integer NOT NULL
    );
    CREATE TABLE panel_questions (
        article_id text NOT NULL, key text NOT NULL, text text NOT NULL,
        shown integer NOT NULL DEFAULT 0, clicks integer NOT NULL DEFAULT 0,
        PRIMARY KEY (article_id, key)
    );
    CREATE INDEX panel_questions_shown ON panel_questions (shown);
    ALTER TABLE feedback ADD COLUMN ask_id text;
    CREATE INDEX feedback_article ON feedback (article_id, received_at DESC);
    CREATE FUNCTION asks_counted() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        ask asks;
        delta integer;
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            UPDATE insight_groups SET
                helpful = helpful + (NEW.rating IS NOT DISTINCT FROM 'helpful')::int
                    - (OLD.rating IS NOT DISTINCT FROM 'helpful')::int,
                not_helpful = not_helpful + (NEW.rating IS NOT DISTINCT FROM 'not_helpful')::int
                    - (OLD.rating IS NOT DISTINCT FROM 'not_helpful')::int,
                wrong_citation = wrong_citation + (NEW.rating IS NOT DISTINCT FROM 'wrong_citation')::int
                    - (OLD.rating IS NOT DISTINCT FROM 'wrong_citation')::int
            WHERE id = (SELECT group_id FROM insight_questions WHERE id = NEW.question_id);
            RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN ask := NEW; delta := 1; ELSE ask := OLD; delta := -1; END IF;
        UPDATE insight_questions SET asks = asks + delta WHERE id = ask.question_id;
        UPDATE insight_groups SET asks = asks + delta,
            answered = answered + delta * (ask.grade = 'answer')::int,
            closest = closest + delta * (ask.grade = 'closest')::int,
            not_said = not_said + delta * (ask.grade = 'none')::int,
            panel = panel + delta * ask.panel,
            helpful = helpful + delta * (ask.rating IS NOT DISTINCT FROM 'helpful')::int,
            not_helpful = not_helpful + delta * (ask.rating IS NOT DISTINCT FROM 'not_helpful')::int,
            wrong_citation = wrong_citation + delta * (ask.rating IS NOT DISTINCT FROM 'wrong_citation')::int,
            last_asked = CASE WHEN delta > 0 THEN greatest(last_asked, ask.asked_at) ELSE last_asked END
        WHERE id = (SELECT group_id FROM insight_questions WHERE id = ask.question_id);
        INSERT INTO insight_days AS d (day, asks, answered, closest, not_said, panel, sample)
        VALUES (ask.asked_at / 86400, delta, delta * (ask.grade = 'answer')::int,
                delta * (ask.grade = 'closest')::int, delta * (ask.grade = 'none')::int,
                delta * ask.panel, delta * ask.sample)
        ON CONFLICT (day) DO UPDATE SET asks = d.asks + excluded.asks, answered = d.answered + excluded.answered,
            closest = d.closest + excluded.closest, not_said = d.not_said + excluded.not_said,
            panel = d.panel + excluded.panel, sample = d.sample + excluded.sample;
        RETURN NULL;
    END $$;
    CREATE TRIGGER asks_counted AFTER INSERT OR DELETE OR UPDATE OF rating ON asks
        FOR EACH ROW EXECUTE FUNCTION asks_counted();
    """,
]

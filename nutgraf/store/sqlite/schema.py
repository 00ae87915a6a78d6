"""The SQLite schema, one migration per version (``PRAGMA user_version`` counts them; see
``database.py``, which applies them)."""

from __future__ import annotations

import re

MIGRATIONS = [
    # 1: articles and their analysis
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        id TEXT PRIMARY KEY, url TEXT, title TEXT, published TEXT, source TEXT,
        authors TEXT NOT NULL, origin TEXT NOT NULL, content_hash TEXT NOT NULL,
        ingested_at TEXT NOT NULL, text TEXT NOT NULL, signature BLOB, embedding_model TEXT
    );
    CREATE INDEX articles_published ON articles (published);
    CREATE INDEX articles_source ON articles (source);
    CREATE TABLE sentences (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        paragraph INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB,
        UNIQUE (article_id, idx)
    );
    CREATE VIRTUAL TABLE sentences_fts USING fts5 (
        text, content='sentences', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER sentences_ai AFTER INSERT ON sentences BEGIN
        INSERT INTO sentences_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER sentences_ad AFTER DELETE ON sentences BEGIN
        INSERT INTO sentences_fts (sentences_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TABLE entities (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        name TEXT NOT NULL, label TEXT NOT NULL, mentions TEXT NOT NULL
    );
    CREATE INDEX entities_article ON entities (article_id);
    CREATE INDEX entities_name ON entities (name);
    CREATE TABLE quotes (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        sentence_index INTEGER NOT NULL, speaker TEXT
    );
    CREATE INDEX quotes_article ON quotes (article_id);
    CREATE TABLE times (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
        sentence_index INTEGER NOT NULL, resolved TEXT
    );
    CREATE INDEX times_article ON times (article_id);
    CREATE TABLE cache (
        namespace TEXT NOT NULL, key TEXT NOT NULL,
        article_id TEXT REFERENCES articles (id) ON DELETE CASCADE,
        value TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    CREATE INDEX cache_article ON cache (article_id);
    INSERT INTO meta (key, value) VALUES ('generation', '0');
    """,
    # 2: reader data in tables of its own, out of the cache (where version 1 kept it)
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY, created_at TEXT NOT NULL, last_used_at TEXT NOT NULL,
        article_ids TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX conversations_last_used ON conversations (last_used_at);
    CREATE TABLE turns (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL, asked_at TEXT NOT NULL, question TEXT NOT NULL, answer TEXT,
        article_ids TEXT NOT NULL, people TEXT NOT NULL, resolved TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (conversation_id, position)
    );
    CREATE TABLE feedback (
        id TEXT PRIMARY KEY, received_at TEXT NOT NULL, rating TEXT NOT NULL, question TEXT NOT NULL,
        answer TEXT, comment TEXT, citations TEXT NOT NULL, article_id TEXT, conversation_id TEXT
    );
    CREATE INDEX feedback_received ON feedback (received_at);
    INSERT INTO conversations (id, created_at, last_used_at)
        SELECT key, created_at, created_at FROM cache WHERE namespace = 'conversation';
    INSERT INTO turns (conversation_id, position, asked_at, question, answer, article_ids, people)
        SELECT c.key, CAST(t.key AS INTEGER), c.created_at, coalesce(json_extract(t.value, '$.question'), ''),
               json_extract(t.value, '$.answer'), coalesce(json_extract(t.value, '$.article_ids'), '[]'),
               coalesce(json_extract(t.value, '$.people'), '[]')
        FROM cache c, json_each(c.value) t WHERE c.namespace = 'conversation';
    UPDATE conversations SET article_ids = (
        SELECT coalesce(json_group_array(id), '[]') FROM (
            SELECT DISTINCT j.value AS id FROM turns t, json_each(t.article_ids) j
            WHERE t.conversation_id = conversations.id));
    INSERT INTO feedback (id, received_at, rating, question, answer, comment, citations, article_id,
                          conversation_id)
        SELECT key, coalesce(json_extract(value, '$.received_at'), created_at),
               coalesce(json_extract(value, '$.rating'), ''), coalesce(json_extract(value, '$.question'), ''),
               json_extract(value, '$.answer'), json_extract(value, '$.comment'),
               coalesce(json_extract(value, '$.citations'), '[]'), json_extract(value, '$.article_id'),
               json_extract(value, '$.conversation_id')
        FROM cache WHERE namespace = 'feedback';
    DELETE FROM cache WHERE namespace IN ('conversation', 'feedback');
    """,
    # 3: work to do per article (preparing it for readers), shared by every process
    """
    CREATE TABLE jobs (
        kind TEXT NOT NULL, article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        state TEXT NOT NULL, again INTEGER NOT NULL DEFAULT 0, worker TEXT,
        attempts INTEGER NOT NULL DEFAULT 0, queued_at TEXT NOT NULL, started_at TEXT,
        heartbeat_at TEXT, finished_at TEXT, error TEXT,
        PRIMARY KEY (kind, article_id)
    );
    CREATE INDEX jobs_waiting ON jobs (kind, state, queued_at);
    """,
    # 4: MinHash LSH bands (see analysis/fingerprint.py), cut from the stored signatures
    """
    CREATE TABLE signature_bands (
        band INTEGER NOT NULL, key BLOB NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        PRIMARY KEY (band, key, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX signature_bands_article ON signature_bands (article_id);
    WITH RECURSIVE band (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM band WHERE n < 15)
    INSERT INTO signature_bands (band, key, article_id)
    SELECT band.n, substr(a.signature, band.n * 32 + 1, 32), a.id FROM articles a, band
    WHERE length(a.signature) = 512;
    """,
    # 5: the log of changed sentence vectors that keeps the vector index file up to date
    """
    CREATE TABLE vector_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, sentence_id INTEGER NOT NULL);
    CREATE TRIGGER sentences_vector_ai AFTER INSERT ON sentences WHEN new.embedding IS NOT NULL BEGIN
        INSERT INTO vector_changes (sentence_id) VALUES (new.id);
    END;
    CREATE TRIGGER sentences_vector_ad AFTER DELETE ON sentences WHEN old.embedding IS NOT NULL BEGIN
        INSERT INTO vector_changes (sentence_id) VALUES (old.id);
    END;
    CREATE TRIGGER sentences_vector_au AFTER UPDATE OF embedding ON sentences BEGIN
        INSERT INTO vector_changes (sentence_id) VALUES (new.id);
    END;
    INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(16))));
    """,
    # 6: a quote's form (direct, or a reported statement with its verb) and whether its
    # quotation mark closes; a stored quote that ran to its paragraph's end is not closed
    """
    ALTER TABLE quotes ADD COLUMN form TEXT NOT NULL DEFAULT 'direct';
    ALTER TABLE quotes ADD COLUMN closed INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE quotes ADD COLUMN verb TEXT;
    UPDATE quotes SET closed = 0
    WHERE substr((SELECT text FROM articles WHERE id = quotes.article_id), "end" + 1, 1) NOT IN ('”', '"');
    """,
    # 7: the question log (what readers ask, for the newsroom: see nutgraf/store/question_log.py);
    # the counts per wording, group and day are kept up by the triggers on asks
    """
    CREATE TABLE insight_groups (
        id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, form TEXT NOT NULL, mean BLOB NOT NULL,
        size INTEGER NOT NULL,
        asks INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0, closest INTEGER NOT NULL DEFAULT 0,
        not_said INTEGER NOT NULL DEFAULT 0, panel INTEGER NOT NULL DEFAULT 0, helpful INTEGER NOT NULL DEFAULT 0,
        not_helpful INTEGER NOT NULL DEFAULT 0, wrong_citation INTEGER NOT NULL DEFAULT 0,
        last_asked INTEGER NOT NULL DEFAULT 0
    );
    -- Covering: the archive's stories are ranked by their groups' counts from the index alone.
    CREATE INDEX insight_groups_article ON insight_groups (article_id, asks, answered, closest, not_said, panel,
                                                           helpful, not_helpful, wrong_citation);
    CREATE INDEX insight_groups_asks ON insight_groups (asks);
    CREATE INDEX insight_groups_unanswered ON insight_groups (closest + not_said);
    CREATE TABLE insight_questions (
        id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL,
        group_id INTEGER NOT NULL REFERENCES insight_groups (id), asks INTEGER NOT NULL DEFAULT 0,
        UNIQUE (article_id, key)
    );
    CREATE INDEX insight_questions_group ON insight_questions (group_id);
    CREATE INDEX insight_questions_unasked ON insight_questions (asks) WHERE asks <= 0;
    CREATE TABLE asks (
        id INTEGER PRIMARY KEY, asked_at INTEGER NOT NULL,
        question_id INTEGER NOT NULL REFERENCES insight_questions (id),
        asked TEXT, kind TEXT NOT NULL, grade TEXT NOT NULL, confidence REAL NOT NULL, latency_ms INTEGER,
        language TEXT NOT NULL, panel INTEGER NOT NULL, sample INTEGER NOT NULL, rating TEXT
    );
    -- Covering too: a period's asks across the archive are counted from the index alone.
    CREATE INDEX asks_asked_at ON asks (asked_at, question_id, grade, panel, sample, rating);
    -- Covering: the asks of an article or a period are counted from the index alone (ids
    -- are random, so reading the table for each ask would be a page read apiece).
    CREATE INDEX asks_question ON asks (question_id, asked_at, grade, panel, sample, rating);
    CREATE TABLE insight_days (
        day INTEGER PRIMARY KEY, asks INTEGER NOT NULL, answered INTEGER NOT NULL, closest INTEGER NOT NULL,
        not_said INTEGER NOT NULL, panel INTEGER NOT NULL, sample INTEGER NOT NULL
    );
    CREATE TABLE panel_questions (
        article_id TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL,
        shown INTEGER NOT NULL DEFAULT 0, clicks INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (article_id, key)
    );
    CREATE INDEX panel_questions_shown ON panel_questions (shown);
    ALTER TABLE feedback ADD COLUMN ask_id TEXT;
    CREATE INDEX feedback_article ON feedback (article_id, received_at);
    CREATE TRIGGER asks_counted AFTER INSERT ON asks BEGIN
        UPDATE insight_questions SET asks = asks + 1 WHERE id = new.question_id;
        UPDATE insight_groups SET asks = asks + 1, answered = answered + (new.grade = 'answer'),
            closest = closest + (new.grade = 'closest'), not_said = not_said + (new.grade = 'none'),
            panel = panel + new.panel, helpful = helpful + (new.rating IS 'helpful'),
            not_helpful = not_helpful + (new.rating IS 'not_helpful'),
            wrong_citation = wrong_citation + (new.rating IS 'wrong_citation'),
            last_asked = max(last_asked, new.asked_at)
        WHERE id = (SELECT group_id FROM insight_questions WHERE id = new.question_id);
        INSERT INTO insight_days (day, asks, answered, closest, not_said, panel, sample)
        VALUES (new.asked_at / 86400, 1, new.grade = 'answer', new.grade = 'closest', new.grade = 'none',
                new.panel, new.sample)
        ON CONFLICT (day) DO UPDATE SET asks = asks + 1, answered = answered + excluded.answered,
            closest = closest + excluded.closest, not_said = not_said + excluded.not_said,
            panel = panel + excluded.panel, sample = sample + excluded.sample;
    END;
    CREATE TRIGGER asks_uncounted AFTER DELETE ON asks BEGIN
        UPDATE insight_questions SET asks = asks - 1 WHERE id = old.question_id;
        UPDATE insight_groups SET asks = asks - 1, answered = answered - (old.grade = 'answer'),
            closest = closest - (old.grade = 'closest'), not_said = not_said - (old.grade = 'none'),
            panel = panel - old.panel, helpful = helpful - (old.rating IS 'helpful'),
            not_helpful = not_helpful - (old.rating IS 'not_helpful'),
            wrong_citation = wrong_citation - (old.rating IS 'wrong_citation')
        WHERE id = (SELECT group_id FROM insight_questions WHERE id = old.question_id);
        UPDATE insight_days SET asks = asks - 1, answered = answered - (old.grade = 'answer'),
            closest = closest - (old.grade = 'closest'), not_said = not_said - (old.grade = 'none'),
            panel = panel - old.panel, sample = sample - old.sample
        WHERE day = old.asked_at / 86400;
    END;
    CREATE TRIGGER asks_rated AFTER UPDATE OF rating ON asks BEGIN
        UPDATE insight_groups SET
            helpful = helpful + (new.rating IS 'helpful') - (old.rating IS 'helpful'),
            not_helpful = not_helpful + (new.rating IS 'not_helpful') - (old.rating IS 'not_helpful'),
            wrong_citation = wrong_citation + (new.rating IS 'wrong_citation') - (old.rating IS 'wrong_citation')
        WHERE id = (SELECT group_id FROM insight_questions WHERE id = new.question_id);
    END;
    """,
]


def statements(script: str) -> list[str]:
    """Split a migration script; triggers keep their inner semicolons."""
    found, lines = [], []
    for line in script.strip().splitlines():
        lines.append(line)
        joined = "\n".join(lines).strip()
        inside_trigger = re.match(r"CREATE TRIGGER", joined) and not joined.endswith("END;")
        if joined.endswith(";") and not inside_trigger:
            found.append(joined)
            lines = []
    return found

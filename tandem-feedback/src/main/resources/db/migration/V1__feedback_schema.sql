-- Tandem feedback store. Portable SQL for SQLite and PostgreSQL.
-- The only dialect difference is the auto-increment primary key, supplied by the placeholder
-- id_pk (see dev.tandem.feedback.store.Dialect). Times are epoch milliseconds (BIGINT), flags 0/1 INTEGERs,
-- structured values JSON in TEXT columns.

CREATE TABLE datasets (
    id           ${id_pk},
    name         VARCHAR(200) NOT NULL UNIQUE,
    description  TEXT NOT NULL,
    overlap      INTEGER NOT NULL,
    gold_rate    DOUBLE PRECISION NOT NULL,
    lease_ms     BIGINT NOT NULL,
    rating_flags TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE annotators (
    id         ${id_pk},
    name       VARCHAR(200) NOT NULL UNIQUE,
    kind       VARCHAR(20) NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           ${id_pk},
    annotator_id BIGINT NOT NULL REFERENCES annotators (id),
    token_sha256 CHAR(64) NOT NULL UNIQUE,
    label        VARCHAR(200) NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE prompts (
    id          ${id_pk},
    dataset_id  BIGINT NOT NULL REFERENCES datasets (id),
    text        TEXT NOT NULL,
    text_sha256 CHAR(64) NOT NULL,
    group_key   TEXT,
    source      TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX prompts_by_text ON prompts (dataset_id, text_sha256);

CREATE TABLE responses (
    id                  ${id_pk},
    prompt_id           BIGINT NOT NULL REFERENCES prompts (id),
    text                TEXT NOT NULL,
    text_sha256         CHAR(64) NOT NULL,
    model_id            VARCHAR(200) NOT NULL,
    model_version       VARCHAR(200) NOT NULL,
    generation_settings TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX responses_by_text ON responses (prompt_id, text_sha256);

-- slots_taken = live leases + submitted judgements; a task is served while slots_taken < overlap.
CREATE TABLE tasks (
    id              ${id_pk},
    dataset_id      BIGINT NOT NULL REFERENCES datasets (id),
    prompt_id       BIGINT NOT NULL REFERENCES prompts (id),
    kind            VARCHAR(20) NOT NULL,
    response_ids    TEXT NOT NULL,
    priority        INTEGER NOT NULL,
    gold            INTEGER NOT NULL,
    gold_answer     TEXT,
    slots_taken     INTEGER NOT NULL,
    judgement_count INTEGER NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX tasks_queue ON tasks (dataset_id, gold, priority, id);

CREATE TABLE assignments (
    id           ${id_pk},
    task_id      BIGINT NOT NULL REFERENCES tasks (id),
    annotator_id BIGINT NOT NULL REFERENCES annotators (id),
    dataset_id   BIGINT NOT NULL REFERENCES datasets (id),
    shown_order  TEXT NOT NULL,
    state        VARCHAR(20) NOT NULL,
    leased_at    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    CONSTRAINT assignments_once UNIQUE (task_id, annotator_id)
);
CREATE INDEX assignments_live ON assignments (dataset_id, state, expires_at);
CREATE INDEX assignments_by_annotator ON assignments (annotator_id, dataset_id, state);

CREATE TABLE judgements (
    id            ${id_pk},
    dataset_id    BIGINT NOT NULL REFERENCES datasets (id),
    task_id       BIGINT NOT NULL REFERENCES tasks (id),
    annotator_id  BIGINT NOT NULL REFERENCES annotators (id),
    assignment_id BIGINT REFERENCES assignments (id),
    client_id     VARCHAR(200) NOT NULL,
    kind          VARCHAR(20) NOT NULL,
    payload       TEXT NOT NULL,
    shown         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    duration_ms   BIGINT NOT NULL,
    confidence    DOUBLE PRECISION,
    gold_correct  INTEGER,
    CONSTRAINT judgements_client_id UNIQUE (annotator_id, client_id),
    CONSTRAINT judgements_once UNIQUE (task_id, annotator_id)
);
CREATE INDEX judgements_by_dataset ON judgements (dataset_id, id);

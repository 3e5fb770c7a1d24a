-- Revocation that travels with a credential (W3C Bitstring Status List): every certificate
-- gets an entry in a status list that Peertrack publishes and signs, and a revoked
-- certificate's bit is set. A list holds 131,072 entries (16 KiB, the standard's minimum, so
-- that a list says little about any one holder); when one is full the next is started.
-- Entries are handed out in a spread order, (start_offset + n * stride) mod size with an odd
-- stride, so that neighbouring indexes do not tell the order in which certificates were issued.
CREATE TABLE status_lists (
    id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    size INTEGER NOT NULL,
    allocated INTEGER NOT NULL,
    stride INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The certificate's entry; NULL for certificates issued before this migration, which get one
-- the first time their credential is made or they are revoked.
ALTER TABLE certificates ADD COLUMN status_list_id TEXT REFERENCES status_lists (id);
ALTER TABLE certificates ADD COLUMN status_list_index INTEGER;
CREATE UNIQUE INDEX certificates_status_entry ON certificates (status_list_id, status_list_index);

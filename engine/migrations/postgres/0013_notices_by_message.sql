-- The notices a message carries, read when the message is claimed: by
-- `message` alone, which `notices_waiting` (colleague, message) cannot
-- serve; without this index each claim of an internal message read every
-- notice (0.5 ms each with 12,000 notices, 3.5 s for a day's 7,000).
CREATE INDEX notices_by_message ON notices (message);

-- The customer's postal address, for letters (all optional).
ALTER TABLE customers ADD COLUMN address TEXT;
ALTER TABLE customers ADD COLUMN postcode TEXT;
ALTER TABLE customers ADD COLUMN city TEXT;
ALTER TABLE customers ADD COLUMN country TEXT;

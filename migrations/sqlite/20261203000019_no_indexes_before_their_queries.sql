-- The indexes on order lines (by SKU, by category) and on orders by store were made before
-- any query read them; every booking paid for them (two lines an order: four index entries
-- more) and nothing used them. The Insights and segments work adds the indexes its queries
-- need, in the shape those queries have.
DROP INDEX order_lines_sku;
DROP INDEX order_lines_category;
DROP INDEX orders_store;

-- Athena view over kubecost_table: the relation AWS's QuickSight dataset `cca_kubecost_view`
-- reads (containers-cost-allocation-dashboard cid/containers_cost_allocation.yaml,
-- PhysicalTableMap RelationalTable Name: kubecost_view). As AWS's Terraform defines it
-- (terraform/terraform-aws-cca/modules/pipeline/locals.tf, athena_view_sql): every column of the
-- table, rows of the last 6 months (athena_view_data_retention_months, default 6; change the
-- number to keep more or less). AWS's Terraform stores it as a Glue Presto view; without that
-- Terraform, run this statement in Athena once, after kubecost_table.sql.
CREATE OR REPLACE VIEW kubecost_cca.kubecost_view AS
SELECT *
FROM kubecost_cca.kubecost_table
WHERE (current_date - INTERVAL '6' MONTH) <= "window.start"

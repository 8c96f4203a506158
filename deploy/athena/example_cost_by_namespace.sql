-- Daily cost per cluster and namespace for one month, idle split out.
-- properties.node_capacity_type is the node label's own value: EKS SPOT, Karpenter spot.
-- Run in Athena, or in DuckDB over the files (tests/parquet/aws_dashboard_sql.mjs runs it).
SELECT
  date_trunc('day', "window.start")                        AS day,
  "properties.cluster"                                      AS cluster,
  CASE WHEN name LIKE '%/\_\_idle\_\_' ESCAPE '\' THEN '__idle__'  -- "_" alone matches any character
       ELSE "properties.namespace" END                      AS namespace,
  round(sum(totalcost), 4)                                  AS total_cost,
  round(sum(cpucost + cpucostadjustment), 4)                AS cpu_cost,
  round(sum(ramcost + ramcostadjustment), 4)                AS ram_cost,
  round(sum(totalcost) FILTER (WHERE lower("properties.node_capacity_type") = 'spot'), 4) AS spot_cost
FROM kubecost_cca.kubecost_table
WHERE account_id = '111122223333' AND region = 'us-east-1'
  AND year = '2026' AND month = '11'
GROUP BY 1, 2, 3
ORDER BY day, total_cost DESC;

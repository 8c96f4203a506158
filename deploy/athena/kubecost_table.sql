-- Athena table over the s3-export dataset: one Snappy Parquet file per cluster-day at
-- s3://BUCKET/account_id=<acct>/region=<region>/year=YYYY/month=MM/<YYYY-MM-DD>_<cluster>.snappy.parquet
-- Partition projection finds the partitions by itself: no Glue crawler, no MSCK REPAIR.
-- Column names follow the AWS containers-cost-allocation dataset (lower-cased as Glue stores them),
-- so existing views and dashboards keep working. Add one `properties.labels.<key>` /
-- `properties.annotations.<key>` string column per key in LABELS / ANNOTATIONS.
-- Replace BUCKET, and the account ids / regions in the projection values.
CREATE EXTERNAL TABLE IF NOT EXISTS kubecost_cca.kubecost_table (
  `name` string,
  `window.start` timestamp,
  `window.end` timestamp,
  `minutes` double,
  `cpucores` double,
  `cpucorerequestaverage` double,
  `cpucoreusageaverage` double,
  `cpucorehours` double,
  `cpucost` double,
  `cpucostadjustment` double,
  `cpuefficiency` double,
  `gpucount` double,
  `gpuhours` double,
  `gpucost` double,
  `gpucostadjustment` double,
  `networktransferbytes` double,
  `networkreceivebytes` double,
  `networkcost` double,
  `networkcrosszonecost` double,
  `networkcrossregioncost` double,
  `networkinternetcost` double,
  `networkcostadjustment` double,
  `loadbalancercost` double,
  `loadbalancercostadjustment` double,
  `pvbytes` double,
  `pvbytehours` double,
  `pvcost` double,
  `pvcostadjustment` double,
  `rambytes` double,
  `rambyterequestaverage` double,
  `rambyteusageaverage` double,
  `rambytehours` double,
  `ramcost` double,
  `ramcostadjustment` double,
  `ramefficiency` double,
  `sharedcost` double,
  `externalcost` double,
  `totalcost` double,
  `totalefficiency` double,
  `properties.provider` string,
  `properties.region` string,
  `properties.cluster` string,
  `properties.clusterid` string,
  `properties.eksclustername` string,
  `properties.container` string,
  `properties.namespace` string,
  `properties.pod` string,
  `properties.node` string,
  `properties.node_instance_type` string,
  `properties.node_availability_zone` string,
  `properties.node_capacity_type` string,
  `properties.node_architecture` string,
  `properties.node_os` string,
  `properties.node_nodegroup` string,
  `properties.node_nodegroup_image` string,
  `properties.controller` string,
  `properties.controllerkind` string,
  `properties.providerid` string
)
PARTITIONED BY (`account_id` string, `region` string, `year` string, `month` string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION 's3://BUCKET/'
TBLPROPERTIES (
  'classification' = 'parquet',
  'parquet.compression' = 'SNAPPY',
  'projection.enabled' = 'true',
  'projection.account_id.type' = 'enum',
  'projection.account_id.values' = '111122223333',
  'projection.region.type' = 'enum',
  'projection.region.values' = 'us-east-1,eu-west-1',
  'projection.year.type' = 'integer',
  'projection.year.range' = '2023,2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'storage.location.template' = 's3://BUCKET/account_id=${account_id}/region=${region}/year=${year}/month=${month}/'
);

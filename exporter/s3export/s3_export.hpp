#pragma once
// One s3-export run over injected peers: plan the back-fill (backfill_plan), export each due day
// (day_export), report the totals (RunReporter) and turn them into the exit code. Kubecost, the
// bucket and the clock (util/env.hpp) are interfaces, so the whole run can be driven by in-memory
// fakes.
#include <string>

#include "exporter/config/cluster_arn.hpp"
#include "exporter/s3export/day_export.hpp"
#include "exporter/s3export/kubecost_api.hpp"
#include "exporter/s3export/object_store.hpp"
#include "exporter/s3export/run_report.hpp"
#include "exporter/util/cancellation.hpp"
#include "exporter/util/env.hpp"

namespace kci {

// The run's settings; app/s3_export_options.hpp builds them from the settings and the CLUSTER_ID
// ARN.
struct S3ExportRunSettings {
  ClusterArn cluster;  // the key layout and the cluster name
  std::string bucket;  // for the logs
  int backfill_days = 15;
  DayExportSettings day;
};

// Asks Kubecost which days of the back-fill window it has, lists the window's month prefixes,
// then exports every day Kubecost has and the bucket lacks, oldest first. Days already in the
// bucket are skipped (info), days Kubecost lacks or answers without allocations are skipped
// (warning; nothing written). A failed day is logged and does not stop the others; `cancel`
// firing does: the day in progress fails cleanly (its multipart upload aborted, its file
// removed) and no further day starts. Reports once, also when the run stops early (Kubecost's
// day list or the listing failing, a cancellation). Returns 0 when no day failed and the run
// was not cancelled (also when nothing was due), 1 otherwise. `env`'s wall clock says which days
// are due and stamps the report.
int run_s3_export_days(const S3ExportRunSettings& settings, KubecostApi& api, ObjectStore& store,
                       const Env& env, RunReporter& reporter,
                       const Cancellation& cancel = Cancellation::never());

}  // namespace kci

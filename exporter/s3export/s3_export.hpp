#pragma once
// One s3-export run over injected peers: plan the back-fill (backfill_plan), export each due day
// (day_export), report the totals (RunReporter) and turn them into the exit code. Kubecost, the
// bucket and the clock are interfaces, so the whole run can be driven by in-memory fakes.
#include <string>

#include "exporter/config/config.hpp"
#include "exporter/s3export/clock.hpp"
#include "exporter/s3export/day_export.hpp"
#include "exporter/s3export/kubecost_api.hpp"
#include "exporter/s3export/object_store.hpp"
#include "exporter/s3export/run_report.hpp"
#include "exporter/util/cancellation.hpp"

namespace kci {

struct S3ExportRunSettings {
  ClusterArn cluster;  // the key layout and the cluster name
  std::string bucket;  // for the logs
  int backfill_days = 15;
  DayExportSettings day;
};

// The run's settings from the config and the parsed CLUSTER_ID. properties.region (like the
// region= partition of the key) is the cluster's, from its ARN, never AWS_REGION: that is where
// the client signs S3 requests first, and EKS sets it to the Pod's region, which a cross-region
// or cross-account bucket need not share.
S3ExportRunSettings s3_export_run_settings(const Config& config, const ClusterArn& cluster);

// Asks Kubecost which days of the back-fill window it has, lists the window's month prefixes,
// then exports every day Kubecost has and the bucket lacks, oldest first. Days already in the
// bucket are skipped (info), days Kubecost lacks or answers without allocations are skipped
// (warning; nothing written). A failed day is logged and does not stop the others; `cancel`
// firing does: the day in progress fails cleanly (its multipart upload aborted, its file
// removed) and no further day starts. Reports once, also when the run stops early (Kubecost's
// day list or the listing failing, a cancellation). Returns 0 when no day failed and the run
// was not cancelled (also when nothing was due), 1 otherwise.
int run_s3_export_days(const S3ExportRunSettings& settings, KubecostApi& api, ObjectStore& store,
                       const Clock& clock, RunReporter& reporter,
                       const Cancellation& cancel = Cancellation::never());

}  // namespace kci

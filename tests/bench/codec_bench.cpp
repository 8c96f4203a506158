// Compressors and inflaters on one exposition text (docs/performance.md's codec choice). Not
// built by CMake:
//   g++ -O2 -o /tmp/codec_bench tests/bench/codec_bench.cpp -lz -ldeflate -lisal
//   curl -s localhost:9103/metrics > /tmp/expo.txt && /tmp/codec_bench /tmp/expo.txt
// (libdeflate-dev is needed only for this measurement.)
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
using clk = std::chrono::steady_clock;
static double ms(clk::time_point t) {
  return std::chrono::duration<double, std::milli>(clk::now() - t).count();
}
int main(int, char** argv) {
  std::ifstream f(argv[1]);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string in = ss.str();
  std::vector<unsigned char> out(in.size() + 1000000);
  for (int lvl : {1, 3, 6}) {
    double best = 1e9;
    size_t sz = 0;
    for (int r = 0; r < 3; r++) {
      auto t = clk::now();
      z_stream zs{};
      deflateInit2(&zs, lvl, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
      zs.next_in = (Bytef*)in.data();
      zs.avail_in = in.size();
      zs.next_out = out.data();
      zs.avail_out = out.size();
      deflate(&zs, Z_FINISH);
      sz = zs.total_out;
      deflateEnd(&zs);
      best = std::min(best, ms(t));
    }
    printf("zlib level %d: %.1f ms, %zu bytes (%.1f MB/s)\n", lvl, best, sz,
           in.size() / best / 1000);
  }
  for (int lvl : {1, 6}) {
    double best = 1e9;
    size_t sz = 0;
    auto* c = libdeflate_alloc_compressor(lvl);
    for (int r = 0; r < 3; r++) {
      auto t = clk::now();
      sz = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
      best = std::min(best, ms(t));
    }
    libdeflate_free_compressor(c);
    printf("libdeflate level %d: %.1f ms, %zu bytes (%.1f MB/s)\n", lvl, best, sz,
           in.size() / best / 1000);
  }
  for (int lvl : {0, 1, 2, 3}) {
    double best = 1e9;
    size_t sz = 0;
    std::vector<unsigned char> lb(lvl == 0 ? 0
                                           : (lvl == 1   ? ISAL_DEF_LVL1_DEFAULT
                                              : lvl == 2 ? ISAL_DEF_LVL2_DEFAULT
                                                         : ISAL_DEF_LVL3_DEFAULT));
    for (int r = 0; r < 3; r++) {
      auto t = clk::now();
      isal_zstream s;
      isal_deflate_init(&s);
      s.gzip_flag = IGZIP_GZIP;
      s.level = lvl;
      s.level_buf = lb.data();
      s.level_buf_size = lb.size();
      s.end_of_stream = 1;
      s.flush = NO_FLUSH;
      s.next_in = (uint8_t*)in.data();
      s.avail_in = in.size();
      s.next_out = out.data();
      s.avail_out = out.size();
      isal_deflate(&s);
      sz = s.total_out;
      best = std::min(best, ms(t));
    }
    printf("isa-l level %d: %.1f ms, %zu bytes (%.1f MB/s)\n", lvl, best, sz,
           in.size() / best / 1000);
  }
  // inflate speed of zlib vs isal on zlib-6 output
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = (Bytef*)in.data();
  zs.avail_in = in.size();
  zs.next_out = out.data();
  zs.avail_out = out.size();
  deflate(&zs, Z_FINISH);
  size_t gz = zs.total_out;
  deflateEnd(&zs);
  std::vector<unsigned char> back(in.size() + 100);
  {
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
      auto t = clk::now();
      z_stream is{};
      inflateInit2(&is, 31);
      is.next_in = out.data();
      is.avail_in = gz;
      is.next_out = back.data();
      is.avail_out = back.size();
      inflate(&is, Z_FINISH);
      inflateEnd(&is);
      best = std::min(best, ms(t));
    }
    printf("zlib inflate: %.1f ms\n", best);
  }
  {
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
      auto t = clk::now();
      inflate_state st;
      isal_inflate_init(&st);
      st.crc_flag = ISAL_GZIP;
      st.next_in = out.data();
      st.avail_in = gz;
      st.next_out = back.data();
      st.avail_out = back.size();
      isal_inflate(&st);
      best = std::min(best, ms(t));
    }
    printf("isa-l inflate: %.1f ms\n", best);
  }
}

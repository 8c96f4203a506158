#include "exporter/kubecost/json_cursor.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kci {
namespace {

using simdjson::error_code;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Powers of ten that doubles hold exactly.
constexpr std::array<double, 23> k_exact_pow10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr std::uint64_t k_max_exact_mantissa = std::uint64_t{1} << 53;
constexpr std::int64_t k_exponent_cap = 1'000'000'000;  // "1e99999999999": past any double

std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr std::uint64_t k_ones = 0x0101010101010101;
constexpr std::uint64_t k_highs = 0x8080808080808080;

// The value of 8 ASCII digits (the first at the lowest address), combined pairwise: digits into
// 2-digit numbers, those into 4-digit ones, those into the 8-digit one.
std::uint64_t eight_digits_value(std::uint64_t v) {
  v -= 0x3030303030303030;
  v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FF;
  v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFF;
  return (v * 10000 + (v >> 32)) & 0xFFFFFFFF;
}

// How many of the 8 bytes in v (from the lowest address) are ASCII digits before another byte.
// A digit's high nibble is 3, before and after adding 6; a carry out of a byte past 0xF9 can only
// spoil the verdict on the byte after a non-digit, which is not counted.
int leading_digits(std::uint64_t v) {
  const std::uint64_t x = ((v & 0xF0F0F0F0F0F0F0F0) ^ 0x3030303030303030) |
                          (((v + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) ^ 0x3030303030303030);
  // The high bit of each byte of x that is not zero: of each non-digit.
  const std::uint64_t non_digits = (x | ((x & ~k_highs) + ~k_highs)) & k_highs;
  return non_digits == 0 ? 8 : __builtin_ctzll(non_digits) / 8;
}

constexpr std::array<std::uint64_t, 17> k_pow10_integers = [] {
  std::array<std::uint64_t, 17> powers{};
  powers[0] = 1;
  for (std::size_t k = 1; k < powers.size(); ++k) powers[k] = powers[k - 1] * 10;
  return powers;
}();

// Reads the digits from p on into `mantissa` while it can hold them (19), eight bytes at a time;
// `digits` counts them all. The text is readable past `end` (JsonWindow's padding).
const char* read_digits(const char* p, const char* end, std::uint64_t& mantissa, int& digits) {
  for (;;) {
    const std::uint64_t v = load64(p);
    int n = leading_digits(v);
    if (end - p < n) n = static_cast<int>(end - p);
    if (n == 0 || digits + n > 19) break;
    // The n digits moved to the least significant end, '0's before them.
    const std::uint64_t w = n == 8 ? v : (v << (8 * (8 - n))) | (0x3030303030303030 >> (8 * n));
    mantissa = mantissa * k_pow10_integers[static_cast<std::size_t>(n)] + eight_digits_value(w);
    digits += n;
    p += n;
    if (n < 8) return p;
  }
  for (; p < end && is_digit(*p); ++p, ++digits)
    if (digits < 19) mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
  return p;
}

#if defined(__SSE2__)
// k_zeros_below[k]: '0' in the low 8 - k bytes of a word (k <= 8).
constexpr std::array<std::uint64_t, 9> k_zeros_below = [] {
  std::array<std::uint64_t, 9> words{};
  for (std::size_t k = 0; k < 8; ++k) words[k] = 0x3030303030303030 >> (8 * k);
  return words;
}();

// The value of the `count` digits from p on (1 <= count <= 8; p readable 8 bytes on): the word
// moved to the top, '0's below it.
std::uint64_t word_value(const char* p, std::size_t count) {
  return eight_digits_value((load64(p) << (8 * (8 - count))) | k_zeros_below[count]);
}

// Nearly every number Kubecost writes: a sign maybe, then at most 16 bytes of digits with at most
// one '.' between two of them ("0.21819", "3981361875.00000"). Converted without a loop: SSE2
// checks the 16 bytes at once; the integer part and the fraction are read in parallel, each in one
// or two words (the shortest dependency chain); their digits, at most 15 with a dot, make an exact
// mantissa, divided by the power of ten. false: another shape (an exponent, more bytes, a leading
// zero, an error), for scan_number's full path.
bool convert_plain(const char* p, std::size_t size, double& out) {
  const bool negative = *p == '-';
  const char* const d = p + (negative ? 1 : 0);
  const std::size_t n = size - (negative ? 1 : 0);
  if (n == 0 || n > 16) return false;
  // The text is readable 64 bytes past any token (JsonWindow's padding).
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d));
  const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8('0'));
  const auto digits = static_cast<unsigned>(
      _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t)));
  const unsigned token = (1u << n) - 1;
  const unsigned dot =
      static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')))) & token;
  // Every byte a digit or the one dot, which is neither first nor last; no leading zero.
  if (((digits | dot) & token) != token || (dot & (dot - 1)) != 0 ||
      (dot & (1u | (token ^ (token >> 1)))) != 0)
    return false;
  const std::size_t at =
      dot != 0 ? static_cast<std::size_t>(__builtin_ctz(dot)) : n;  // the dot, or the end
  if (d[0] == '0' && at > 1) return false;
  // Each part in one word, or in two (its digits before its last eight, and those eight); the
  // parts read in parallel, for the shortest dependency chain.
  const std::size_t fraction = dot != 0 ? n - 1 - at : 0;
  std::uint64_t whole = 0;
  std::uint64_t part = 0;
  if (fraction <= 8) {  // nearly always
    whole = at <= 8 ? word_value(d, at)
                    : word_value(d, at - 8) * 100000000 + eight_digits_value(load64(d + at - 8));
    if (dot == 0) {  // at most 16 digits: exact in 64 bits; -0 is the integer 0, as simdjson's
      const double v = static_cast<double>(static_cast<std::int64_t>(whole));
      out = negative && whole != 0 ? -v : v;
      return true;
    }
    part = word_value(d + at + 1, fraction);
  } else {  // then the integer part has at most 6 digits
    whole = word_value(d, at);
    part = word_value(d + at + 1, fraction - 8) * 100000000 + eight_digits_value(load64(d + n - 8));
  }
  const std::uint64_t mantissa = whole * k_pow10_integers[fraction] + part;  // < 10^15
  const double v =
      static_cast<double>(static_cast<std::int64_t>(mantissa)) / k_exact_pow10[fraction];
  out = negative ? -v : v;
  return true;
}
#endif

// Converts a checked number the slow way (std::from_chars), as simdjson would read it: overflow
// to infinity is an error, underflow is 0. `integer_digits`: 0 when the integer part is 0.
error_code convert_slowly(std::string_view t, bool negative, int integer_digits,
                          std::int64_t exponent, double& out) {
  const auto r = std::from_chars(t.data(), t.data() + t.size(), out);
  if (r.ec == std::errc()) return simdjson::SUCCESS;
  if (r.ec != std::errc::result_out_of_range) return simdjson::NUMBER_ERROR;
  // Out of range: the magnitude tells overflow (an error) from underflow (0).
  std::int64_t magnitude = exponent + integer_digits;
  if (integer_digits == 0) {
    const auto dot = t.find('.');
    const auto nonzero = dot == std::string_view::npos ? dot : t.find_first_not_of('0', dot + 1);
    if (nonzero != std::string_view::npos) magnitude -= static_cast<std::int64_t>(nonzero - dot);
  }
  if (magnitude > 0) return simdjson::NUMBER_ERROR;
  out = negative ? -0.0 : 0.0;
  return simdjson::SUCCESS;
}

// Checks `t` as a JSON number (RFC 8259 section 6), and as simdjson reads one: an integer must fit
// 64 bits (signed when negative), a number with a fraction or an exponent must not overflow to
// infinity (one that underflows is 0). Converts it into `out`, correctly rounded: a plain number
// of at most 16 bytes without a loop (convert_plain: nearly every number Kubecost writes); else
// exactly when its digits fit 2^53 and the power of ten is exact (Clinger's fast path); else by
// std::from_chars.
error_code scan_number(std::string_view t, double& out) {
#if defined(__SSE2__)
  if (convert_plain(t.data(), t.size(), out)) return simdjson::SUCCESS;
#endif
  const char* p = t.data();
  const char* const end = p + t.size();
  const bool negative = *p == '-';  // a token is never empty
  if (negative) ++p;
  if (p == end || !is_digit(*p)) return simdjson::NUMBER_ERROR;
  std::uint64_t mantissa = 0;
  int digits = 0;
  if (*p == '0') {
    ++p;
  } else {
    p = read_digits(p, end, mantissa, digits);
  }
  const int integer_digits = digits;
  if (p == end) {  // an integer: within 64 bits, as simdjson's
    if (digits >= 19) {
      if (digits > 20) return simdjson::NUMBER_ERROR;
      std::uint64_t value = 0;
      for (const char* q = t.data() + (negative ? 1 : 0); q < end; ++q)
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, static_cast<std::uint64_t>(*q - '0'), &value))
          return simdjson::NUMBER_ERROR;
      if (negative && value > (std::uint64_t{1} << 63)) return simdjson::NUMBER_ERROR;
      mantissa = value;
    }
    // -0 is the integer 0 (simdjson's int64), not the double -0.
    out =
        negative && mantissa != 0 ? -static_cast<double>(mantissa) : static_cast<double>(mantissa);
    return simdjson::SUCCESS;
  }
  int fraction_digits = 0;
  if (*p == '.') {
    ++p;
    const char* fraction = p;
    p = read_digits(p, end, mantissa, digits);
    fraction_digits = static_cast<int>(p - fraction);
    if (fraction_digits == 0) return simdjson::NUMBER_ERROR;
  }
  std::int64_t exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative_exponent = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    if (p == end || !is_digit(*p)) return simdjson::NUMBER_ERROR;
    for (; p < end && is_digit(*p); ++p)
      if (exponent < k_exponent_cap) exponent = exponent * 10 + (*p - '0');
    if (negative_exponent) exponent = -exponent;
  }
  if (p != end) return simdjson::NUMBER_ERROR;
  const std::int64_t power = exponent - fraction_digits;
  if (digits <= 19 && mantissa <= k_max_exact_mantissa && power >= -22 && power <= 22) {
    const double m = static_cast<double>(mantissa);
    const double v = power < 0 ? m / k_exact_pow10[static_cast<std::size_t>(-power)]
                               : m * k_exact_pow10[static_cast<std::size_t>(power)];
    out = negative ? -v : v;
    return simdjson::SUCCESS;
  }
  return convert_slowly(t, negative, integer_digits, exponent, out);
}

}  // namespace

JsonCursor::JsonCursor() { m_closers.reserve(64); }

void JsonCursor::reset(const JsonWindow& window) {
  m_text = window.text();
  m_index = window.indexes();
  m_unescaped_used = 0;
}

bool JsonCursor::has_backslash(std::string_view s) {
  if (s.size() > k_readable_after) return std::memchr(s.data(), '\\', s.size()) != nullptr;
  for (std::size_t w = 0; w < s.size(); w += 8) {
    std::uint64_t x = load64(s.data() + w) ^ (k_ones * '\\');  // a backslash becomes a zero byte
    if (s.size() - w < 8) x |= ~std::uint64_t{0} << (8 * (s.size() - w));  // past the end
    if (((x - k_ones) & ~x & k_highs) != 0) return true;
  }
  return false;
}

error_code JsonCursor::unescape(std::uint32_t i, std::string_view& out) {
  // simdjson's string parser checks the escapes and unescapes them.
  const std::size_t from = m_index[i];
  const std::size_t length = out.size() + 2;  // with its quotes
  m_padded.assign(m_text + from, length);
  m_padded.append(simdjson::SIMDJSON_PADDING, '\0');
  std::string_view s;
  if (auto err = m_string_parser.parse(m_padded.data(), length, false).get_string().get(s))
    return err;
  if (m_unescaped_used == m_unescaped.size()) m_unescaped.emplace_back();
  std::string& kept = m_unescaped[m_unescaped_used++];
  kept.assign(s);
  kept.append(k_readable_after, '\0');  // see the header
  out = std::string_view(kept.data(), s.size());
  return simdjson::SUCCESS;
}

error_code JsonCursor::number(std::uint32_t& i, double& out) {
  const char c = at(i);
  if (c != '-' && !is_digit(c)) return simdjson::INCORRECT_TYPE;
  const std::size_t from = m_index[i];
  if (auto err = scan_number({m_text + from, token_end(i) - from}, out)) return err;
  ++i;
  return simdjson::SUCCESS;
}

error_code JsonCursor::skip_atom(std::uint32_t& i) {
  const char c = at(i);
  const std::size_t from = m_index[i];
  const std::string_view t(m_text + from, token_end(i) - from);
  if (c == 't' && t != "true") return simdjson::T_ATOM_ERROR;
  if (c == 'f' && t != "false") return simdjson::F_ATOM_ERROR;
  if (c == 'n' && t != "null") return simdjson::N_ATOM_ERROR;
  ++i;
  return simdjson::SUCCESS;
}

error_code JsonCursor::skip_other(std::uint32_t& i, std::size_t depth) {
  const char first = at(i);
  if (first == 't' || first == 'f' || first == 'n') return skip_atom(i);
  if (first != '{' && first != '[') return simdjson::TAPE_ERROR;  // ':' ',' '}' ']', or the end
  m_closers.clear();
  std::uint32_t k = i;
  bool want_key = false;
  for (;;) {  // every turn moves k on; past the last index every read fails
    if (want_key) {
      std::string_view ignored;
      if (at(k) != '"') return simdjson::TAPE_ERROR;
      if (auto err = raw_string(k, ignored)) return err;
      if (at(k) != ':') return simdjson::TAPE_ERROR;
      ++k;
      want_key = false;
    }
    const char c = at(k);
    if (c == '{' || c == '[') {
      if (depth + m_closers.size() >= k_max_depth) return simdjson::DEPTH_ERROR;
      const char close = c == '{' ? '}' : ']';
      if (at(k + 1) != close) {
        m_closers.push_back(close);
        want_key = close == '}';
        ++k;
        continue;
      }
      k += 2;  // {} or []
    } else if (auto err = skip(k, depth + m_closers.size())) {
      return err;
    }
    for (;;) {  // after a value: close levels up to the next ',' or the end
      if (m_closers.empty()) {
        i = k;
        return simdjson::SUCCESS;
      }
      const char d = at(k++);
      if (d == ',') {
        want_key = m_closers.back() == '}';
        break;
      }
      if (d != m_closers.back()) return simdjson::TAPE_ERROR;
      m_closers.pop_back();
    }
  }
}

}  // namespace kci

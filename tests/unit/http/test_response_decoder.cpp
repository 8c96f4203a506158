// The client's response decoder with no socket: bytes in, cut anywhere; head and body out.
#include <catch2/catch.hpp>

#include <string>

#include "exporter/http/response_decoder.hpp"

using namespace kci;
using State = ResponseDecoder::State;

namespace {

struct Collected final : ResponseReader {
  int heads = 0;
  ResponseHead head;
  std::string body;
  bool refuse_body = false;
  bool on_head(const ResponseHead& h) override {
    ++heads;
    head = h;
    return true;
  }
  bool on_body(std::string_view piece) override {
    body.append(piece);
    return !refuse_body;
  }
};

// Feeds `bytes` in pieces of `piece` bytes, then the close when still wanted.
State feed_all(ResponseDecoder& decoder, std::string_view bytes, std::size_t piece) {
  State state = State::more;
  for (std::size_t at = 0; at < bytes.size() && state == State::more; at += piece)
    state = decoder.feed(bytes.substr(at, piece));
  return state == State::more ? decoder.feed_eof() : state;
}

}  // namespace

TEST_CASE("response decoder: a chunked answer with extensions and trailers, cut anywhere") {
  const std::string answer =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\n{\"a\":\r\n3\r\n12}\r\n0\r\nX-Checksum: abc\r\n\r\n";
  for (std::size_t piece = 1; piece <= answer.size(); ++piece) {
    INFO("piece " << piece);
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    REQUIRE(feed_all(decoder, answer, piece) == State::done);
    CHECK(reader.heads == 1);
    CHECK(reader.head.status == 200);
    CHECK(reader.head.field("content-type") == "application/json");
    CHECK(reader.body == "{\"a\":12}");
  }
}

TEST_CASE("response decoder: bodies framed by length, by the close, or not at all") {
  SECTION("Content-Length, with bytes after the answer ignored") {
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    CHECK(decoder.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}garbage") == State::done);
    CHECK(reader.body == "{}");
    CHECK(reader.head.content_length == 2u);
  }
  SECTION("delimited by the close") {
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    CHECK(decoder.feed("HTTP/1.0 500 Oops\r\n\r\n<html>") == State::more);
    CHECK(decoder.feed_eof() == State::done);
    CHECK(reader.head.status == 500);
    CHECK(reader.body == "<html>");
  }
  SECTION("the answer to a HEAD, and a 204, have no body") {
    Collected head_reader;
    ResponseDecoder head(ResponseLimits{}, true, head_reader);
    CHECK(head.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n") == State::done);
    CHECK(head_reader.body.empty());
    Collected no_content_reader;
    ResponseDecoder no_content(ResponseLimits{}, false, no_content_reader);
    CHECK(no_content.feed("HTTP/1.1 204 No Content\r\nETag: \"e\"\r\n\r\n") == State::done);
    CHECK(no_content_reader.head.field("ETag") == "\"e\"");
  }
  SECTION("closed mid-body, or before a byte") {
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    CHECK(decoder.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}") == State::more);
    CHECK(decoder.feed_eof() == State::failed);
    CHECK(decoder.outcome().error == ExchangeError::lost);
    Collected nothing_reader;
    ResponseDecoder nothing(ResponseLimits{}, false, nothing_reader);
    CHECK(nothing.feed_eof() == State::failed);
    CHECK(nothing.outcome().detail == "the connection closed before an answer");
  }
}

TEST_CASE("response decoder: the body limit, by Content-Length and as read; a reader's stop") {
  ResponseLimits limits;
  limits.max_body_bytes = 8;
  SECTION("announced") {
    Collected reader;
    ResponseDecoder decoder(limits, false, reader);
    CHECK(decoder.feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n") == State::failed);
    CHECK(decoder.outcome().error == ExchangeError::body_too_large);
    CHECK(reader.body.empty());
  }
  SECTION("read") {
    Collected reader;
    ResponseDecoder decoder(limits, false, reader);
    CHECK(feed_all(decoder, "HTTP/1.1 200 OK\r\n\r\n0123456789", 3) == State::failed);
    CHECK(decoder.outcome().error == ExchangeError::body_too_large);
    CHECK(reader.body.size() <= 8);
  }
  SECTION("stopped") {
    Collected reader;
    reader.refuse_body = true;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    CHECK(decoder.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{") == State::failed);
    CHECK(decoder.outcome().error == ExchangeError::stopped);
    CHECK(decoder.feed("}") == State::failed);  // nothing more reaches the reader
    CHECK(reader.body == "{");
  }
}

TEST_CASE("response decoder: interim (1xx) answers are skipped, a 101 is refused") {
  SECTION("103 Early Hints, then 100, then the answer") {
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    const std::string answer =
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, answer.size()}) {
      Collected r;
      ResponseDecoder d(ResponseLimits{}, false, r);
      REQUIRE(feed_all(d, answer, piece) == State::done);
      CHECK(r.heads == 1);
      CHECK(r.head.status == 200);
      CHECK(r.body == "{}");
    }
  }
  SECTION("more than 8 interim answers") {
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    std::string flood;
    for (int i = 0; i < 9; ++i) flood += "HTTP/1.1 100 Continue\r\n\r\n";
    CHECK(decoder.feed(flood) == State::failed);
    CHECK(decoder.outcome().detail == "more than 8 interim (1xx) answers");
    CHECK(reader.heads == 0);
  }
  SECTION("101 Switching Protocols") {
    Collected reader;
    ResponseDecoder decoder(ResponseLimits{}, false, reader);
    CHECK(decoder.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n") ==
          State::failed);
    CHECK(decoder.outcome().error == ExchangeError::malformed);
  }
}

TEST_CASE("response decoder: a body delimited by the close, offered in large pieces, is whole") {
  // Beast counts all it is offered of such a body against body_limit: the decoder offers no
  // more than it can hand over, so a body just under the limit is not refused.
  ResponseLimits limits;
  limits.max_body_bytes = 200'000;
  Collected reader;
  ResponseDecoder decoder(limits, false, reader);
  const std::string body(199'000, 'x');
  REQUIRE(feed_all(decoder, "HTTP/1.0 200 OK\r\n\r\n" + body, 70'000) == State::done);
  CHECK(reader.body.size() == body.size());
}

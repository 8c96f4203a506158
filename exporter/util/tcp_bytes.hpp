#pragma once
// How many bytes a TCP socket has received so far (Linux TCP_INFO tcpi_bytes_received), for
// capping what a peer may send in total, headers included, where the HTTP library offers no
// such cap. Its own file: <linux/tcp.h> clashes with the <netinet/tcp.h> HTTP code includes.
#include <cstdint>

namespace kci {

// 0 when `fd` is not a connected TCP socket (or is -1).
std::uint64_t tcp_bytes_received(int fd);

}  // namespace kci

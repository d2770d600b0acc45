// Upload benchmark: streams files of growing size over HTTP into a real `insightstream all`
// (Release) and reports MB/s and the server's peak RSS after each one, to show that memory does
// not grow with the upload (the body is streamed to the object store, never held whole).
//
//   upload_bench [--binary PATH] [--sizes 64M,256M,1G] [--keep]
//
// The body is CSV-shaped synthetic data generated on the fly by the client, so the client's own
// disk does not limit the figure; the server writes, fsyncs and hashes every byte.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string ReadAll(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int Connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void SendAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) throw std::runtime_error("send failed");
        p += w;
        n -= static_cast<size_t>(w);
    }
}

std::string ReadResponse(int fd) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0) break;
        out.append(buf, static_cast<size_t>(r));
    }
    return out;
}

std::string Request(int port, const std::string& raw) {
    int fd = Connect(port);
    if (fd < 0) return {};
    SendAll(fd, raw.data(), raw.size());
    shutdown(fd, SHUT_WR);
    std::string r = ReadResponse(fd);
    close(fd);
    return r;
}

long PeakRssKiB(pid_t pid) {
    std::string status = ReadAll("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("VmHWM:");
    return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

uint64_t ParseSize(std::string s) {
    uint64_t mult = 1;
    char last = s.back();
    if (last == 'K' || last == 'k') mult = 1ULL << 10;
    if (last == 'M' || last == 'm') mult = 1ULL << 20;
    if (last == 'G' || last == 'g') mult = 1ULL << 30;
    if (mult != 1) s.pop_back();
    return std::stoull(s) * mult;
}

}  // namespace

int main(int argc, char** argv) {
    std::string binary = fs::path(argv[0]).parent_path().parent_path() / "src/insightstream";
    std::vector<uint64_t> sizes{64ULL << 20, 256ULL << 20, 1ULL << 30};
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--binary" && i + 1 < argc) binary = argv[++i];
        else if (a == "--keep") keep = true;
        else if (a == "--sizes" && i + 1 < argc) {
            sizes.clear();
            std::stringstream ss(argv[++i]);
            std::string item;
            while (std::getline(ss, item, ',')) sizes.push_back(ParseSize(item));
        } else {
            std::fprintf(stderr, "usage: upload_bench [--binary PATH] [--sizes 64M,256M,1G] [--keep]\n");
            return 2;
        }
    }
    fs::path dir = fs::temp_directory_path() / ("is_upload_bench_" + std::to_string(getpid()));
    fs::create_directories(dir);
    fs::path log = dir / "server.log";
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        dup2(fd, 1);
        // The worker is not what is measured here: give it nothing to take CPU from the upload.
        execl(binary.c_str(), binary.c_str(), "ingest", "--listen", "127.0.0.1:0", "--data-dir", dir.c_str(),
              "--log-level", "info", static_cast<char*>(nullptr));
        _exit(127);
    }
    int port = 0;
    static const std::regex kReady(R"re("event":"server.listening".*"port":(\d+))re");
    for (int i = 0; i < 500 && port == 0; ++i) {
        std::smatch m;
        std::string text = ReadAll(log);
        if (std::regex_search(text, m, kReady)) port = std::stoi(m[1]);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port == 0) {
        std::fprintf(stderr, "server did not start:\n%s\n", ReadAll(log).c_str());
        kill(pid, SIGKILL);
        return 1;
    }
    // A token: sign-up is served by the auth role, so mint one with a second process sharing the keys.
    std::string signup_body = R"({"organization":"Bench","email":"bench@example.com","password":"benchmark password"})";
    pid_t auth = fork();
    fs::path auth_log = dir / "auth.log";
    if (auth == 0) {
        int fd = open(auth_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        dup2(fd, 1);
        execl(binary.c_str(), binary.c_str(), "auth", "--listen", "127.0.0.1:0", "--data-dir", dir.c_str(),
              "--log-level", "info", static_cast<char*>(nullptr));
        _exit(127);
    }
    int auth_port = 0;
    for (int i = 0; i < 500 && auth_port == 0; ++i) {
        std::smatch m;
        std::string text = ReadAll(auth_log);
        if (std::regex_search(text, m, kReady)) auth_port = std::stoi(m[1]);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string resp = Request(auth_port, "POST /api/v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                          "Content-Length: " + std::to_string(signup_body.size()) +
                                          "\r\nConnection: close\r\n\r\n" + signup_body);
    kill(auth, SIGTERM);
    waitpid(auth, nullptr, 0);
    std::smatch tm;
    static const std::regex kToken(R"re("access_token":"([^"]+)")re");
    if (!std::regex_search(resp, tm, kToken)) {
        std::fprintf(stderr, "sign-up failed: %s\n", resp.c_str());
        kill(pid, SIGKILL);
        return 1;
    }
    std::string token = tm[1];

    // One MiB of CSV rows, repeated.
    std::string block;
    block.reserve(1 << 20);
    for (int i = 0; block.size() < (1 << 20); ++i) {
        block += std::to_string(1000000 + i) + ",2024-03-15,Europe,Germany,\"Widget, Model 7\",Toys,Online,C0012345,3,19.99,0.10,53.97,false\n";
    }
    block.resize(1 << 20);

    std::printf("%-10s %10s %10s %14s\n", "size", "seconds", "MB/s", "server_peak_MiB");
    for (uint64_t size : sizes) {
        int fd = Connect(port);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::string head = "POST /api/v1/datasets?name=bench&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           token + "\r\nContent-Type: text/csv\r\nContent-Length: " + std::to_string(size) +
                           "\r\nConnection: close\r\n\r\n";
        auto t0 = std::chrono::steady_clock::now();
        SendAll(fd, head.data(), head.size());
        uint64_t left = size;
        while (left > 0) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
            SendAll(fd, block.data(), n);
            left -= n;
        }
        std::string answer = ReadResponse(fd);
        close(fd);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (answer.rfind("HTTP/1.1 202", 0) != 0) {
            std::fprintf(stderr, "upload failed: %s\n", answer.substr(0, 300).c_str());
            kill(pid, SIGKILL);
            return 1;
        }
        std::printf("%-10s %10.2f %10.1f %14.1f\n", (std::to_string(size >> 20) + "MiB").c_str(), secs,
                    static_cast<double>(size) / 1e6 / secs, static_cast<double>(PeakRssKiB(pid)) / 1024.0);
        std::fflush(stdout);
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    if (!keep) fs::remove_all(dir);
    return 0;
}

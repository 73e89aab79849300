#include "hub/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <mutex>

namespace trit::hub {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail("cannot initialise libcurl");
  });
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  bool aborted_by_callback = false;
  std::exception_ptr callback_error;  // an exception may not cross curl's C frames
  bool body_too_large = false;
};

// Called once per header line of every response in the redirect chain. A status line starts a
// new response, so `headers` always ends up holding the final one's.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();
    size_t space = line.find(' ');
    if (space != std::string::npos) t->response->status = std::strtol(line.c_str() + space + 1, nullptr, 10);
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value = trim(line.substr(colon + 1));
  t->response->headers[name] = value;
  t->response->first_headers.emplace(name, value);
  return n;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->request->on_body) {
    bool keep_going = false;
    try {
      keep_going = t->request->on_body(*t->response, data, n);
    } catch (...) {
      t->callback_error = std::current_exception();
    }
    if (!keep_going) {
      t->aborted_by_callback = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    return n;
  }
  if (t->response->body.size() + n > t->request->max_body) {
    t->body_too_large = true;
    return 0;
  }
  t->response->body.append(data, n);
  return n;
}

int on_xfer(void* user, curl_off_t, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->request->on_progress) return 0;
  try {
    t->request->on_progress(static_cast<uint64_t>(now));
  } catch (...) {
    t->callback_error = std::current_exception();
    return 1;  // aborts the transfer
  }
  return 0;
}

TransportResult classify(CURLcode code, bool got_status) {
  switch (code) {
    case CURLE_OK:
      return TransportResult::ok;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return TransportResult::unreachable;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return got_status ? TransportResult::interrupted : TransportResult::unreachable;
    default:
      return TransportResult::failed;
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  if (auto it = headers.find(lower_name); it != headers.end()) return it->second;
  if (auto it = first_headers.find(lower_name); it != first_headers.end()) return it->second;
  return "";
}

HttpResponse http_request(const HttpRequest& request) {
  global_init();
  HttpResponse response;
  Transfer transfer;
  transfer.request = &request;
  transfer.response = &response;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) fail("cannot create a libcurl handle");
  CURL* h = curl.get();
  char error_text[CURL_ERROR_SIZE] = {0};

  curl_slist* headers = nullptr;
  if (!request.token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + request.token).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, &curl_slist_free_all);

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "trit/0.1.0");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  if (headers != nullptr) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (request.head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  std::string range;
  if (request.range_start > 0) {
    range = std::to_string(request.range_start) + "-";
    curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_xfer);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);

  CURLcode code = curl_easy_perform(h);
  if (transfer.callback_error) std::rethrow_exception(transfer.callback_error);
  char* effective = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective != nullptr)
    response.effective_url = effective;
  if (code == CURLE_OK) {
    long status = 0;
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status != 0)
      response.status = status;
    return response;
  }
  response.transport_error = error_text[0] != 0 ? error_text : curl_easy_strerror(code);
  if (transfer.aborted_by_callback) {
    response.result = TransportResult::aborted;
  } else if (transfer.body_too_large) {
    response.result = TransportResult::failed;
    response.transport_error = "response larger than " + std::to_string(request.max_body) + " bytes";
  } else {
    response.result = classify(code, response.status != 0);
  }
  return response;
}

std::string url_origin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t path = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, path);
}

std::string resolve_location(const std::string& base_url, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  if (location.rfind("//", 0) == 0) return base_url.substr(0, base_url.find("://") + 1) + location;
  if (!location.empty() && location.front() == '/') return url_origin(base_url) + location;
  // Relative to the base's folder (the hub never sends this form, but it is legal).
  std::string base = base_url.substr(0, base_url.find_first_of("?#"));
  return base.substr(0, base.rfind('/') + 1) + location;
}

void fail_hub_response(const HttpResponse& response, const std::string& url, bool sent_token) {
  switch (response.result) {
    case TransportResult::ok:
      break;
    case TransportResult::unreachable:
      throw NetworkError(cat("cannot reach the hub for ", url, ": ", response.transport_error));
    case TransportResult::interrupted:
      fail("the download of ", url, " was cut short: ", response.transport_error,
           " (run the command again to resume)");
    case TransportResult::aborted:
    case TransportResult::failed:
      fail("request to ", url, " failed: ", response.transport_error);
  }
  long status = response.status;
  if (status == 404) fail("model file not found on the hub: ", url);
  if (status == 401 || status == 403) {
    if (sent_token)
      fail("the hub refused the token in HF_TOKEN for ", url, " (HTTP ", status,
           "): check that the token is valid and can read this repo (gated repos need their "
           "terms accepted on the website)");
    fail("the hub refused access to ", url, " (HTTP ", status,
         "): the repo may be private or gated, or may not exist; set HF_TOKEN to a Hugging Face "
         "access token that can read it");
  }
  fail("the hub answered HTTP ", status, " for ", url);
}

}  // namespace trit::hub

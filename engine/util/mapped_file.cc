#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "amused.h"

namespace amused {

namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes the descriptor on every exit path; the mapping outlives it.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedFile::MappedFile(const std::filesystem::path &path) : path_(path) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw Error(path.string() + ": cannot open: " + errno_text());
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) throw Error(path.string() + ": cannot stat: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw Error(path.string() + ": not a regular file");
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) return;
  void *p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (p == MAP_FAILED) throw Error(path.string() + ": cannot map: " + errno_text());
  data_ = static_cast<const uint8_t *>(p);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t *>(data_), size_);
}

void MappedFile::forget(size_t offset, size_t bytes) const {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // Whole pages inside the range only: its neighbours may still be needed.
  const size_t begin = (offset + page - 1) / page * page;
  const size_t end = std::min(offset + bytes, size_) / page * page;
  if (data_ != nullptr && end > begin)
    ::madvise(const_cast<uint8_t *>(data_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace amused

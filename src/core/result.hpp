// Result<T>: a value or a core::Error, shaped like std::expected so it can become an alias in C++23.
// IS_TRY returns early with the error; expected failures are values, never exceptions.
#pragma once

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace insightstream::core {

template <class T>
class [[nodiscard]] Result {
public:
    Result(const T& v) : v_(std::in_place_index<0>, v) {}                     // NOLINT(google-explicit-constructor)
    Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}                // NOLINT(google-explicit-constructor)
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}              // NOLINT(google-explicit-constructor)
    template <class U>
        requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
                 !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
    Result(U&& u) : v_(std::in_place_index<0>, std::forward<U>(u)) {}          // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    Error& error() & { return std::get<1>(v_); }
    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : e_(std::move(e)) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const { return !e_.has_value(); }
    explicit operator bool() const { return has_value(); }
    void value() const {}
    Error& error() & { return *e_; }
    const Error& error() const& { return *e_; }
    Error&& error() && { return std::move(*e_); }

private:
    std::optional<Error> e_;
};

using Status = Result<void>;
inline Status Ok() { return {}; }

}  // namespace insightstream::core

#define IS_CONCAT_INNER(a, b) a##b
#define IS_CONCAT(a, b) IS_CONCAT_INNER(a, b)

/// IS_TRY(auto x, Expr()): evaluates Expr(); on error returns it from the enclosing function.
#define IS_TRY(decl, expr) IS_TRY_IMPL(IS_CONCAT(is_try_result_, __LINE__), decl, expr)
#define IS_TRY_IMPL(tmp, decl, expr)          \
    auto tmp = (expr);                        \
    if (!tmp.has_value()) {                   \
        return std::move(tmp).error();        \
    }                                         \
    decl = std::move(tmp).value()

/// IS_TRY_VOID(Expr()): for Result<void> (or a result whose value is not needed).
#define IS_TRY_VOID(expr)                            \
    do {                                             \
        auto is_try_void_result_ = (expr);           \
        if (!is_try_void_result_.has_value()) {      \
            return std::move(is_try_void_result_).error(); \
        }                                            \
    } while (0)

#if defined(IS_DEBUG_CHECKS)
#define IS_DCHECK(cond) assert(cond)
#else
#define IS_DCHECK(cond) ((void)0)
#endif

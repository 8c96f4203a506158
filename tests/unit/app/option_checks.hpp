#pragma once
// Checks for the options app/ builds from the Config, one field at a time.
#include <catch2/catch.hpp>

#include <type_traits>

// `built.field` holds `expected` (the setting's value), and `expected` is not the field's
// default: a builder that forgot the field, leaving its default, fails.
#define CHECK_CARRIES(built, field, expected)                                \
  do {                                                                       \
    CHECK((built).field == (expected));                                      \
    CHECK_FALSE(std::remove_cvref_t<decltype(built)>{}.field == (expected)); \
  } while (false)

// `built.field` is the default of its options struct (built from a default Config: the
// options' defaults are the settings' defaults).
#define CHECK_DEFAULT(built, field) \
  CHECK((built).field == std::remove_cvref_t<decltype(built)>{}.field)

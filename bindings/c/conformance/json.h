/* A small JSON reader for the C conformance adapter: just enough to read the
 * harness's commands (objects, arrays, strings with \u escapes, numbers,
 * booleans, null) into a tree. Not part of the library; test support only. */
#ifndef KISSMON_CONFORMANCE_JSON_H
#define KISSMON_CONFORMANCE_JSON_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
  enum json_type type;
  bool boolean;
  double number;
  bool integer; /* the number is written with digits only (and maybe '-') and fits a long long */
  long long int_value;
  char *string; /* JSON_STRING: the bytes, NUL-terminated; may hold NUL itself */
  size_t length;
  size_t count; /* members of an object (keys[i], values[i]) or items of an array */
  struct json *keys;
  struct json *values;
};

static const char *json_skip(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

static void json_put_utf8(struct json *s, unsigned long c) {
  char *o = s->string + s->length;
  if (c < 0x80) { o[0] = (char)c; s->length += 1; }
  else if (c < 0x800) { o[0] = (char)(0xC0 | c >> 6); o[1] = (char)(0x80 | (c & 0x3F)); s->length += 2; }
  else if (c < 0x10000) { o[0] = (char)(0xE0 | c >> 12); o[1] = (char)(0x80 | (c >> 6 & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F)); s->length += 3; }
  else { o[0] = (char)(0xF0 | c >> 18); o[1] = (char)(0x80 | (c >> 12 & 0x3F)); o[2] = (char)(0x80 | (c >> 6 & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F)); s->length += 4; }
}

static const char *json_string(const char *p, struct json *out) {
  const char *end = ++p;
  while (*end && *end != '"') end += (*end == '\\' && end[1]) ? 2 : 1;
  if (*end != '"') return NULL;
  out->type = JSON_STRING;
  out->string = malloc((size_t)(end - p) + 1); /* escapes never grow the text */
  out->length = 0;
  while (p < end) {
    if (*p != '\\') { out->string[out->length++] = *p++; continue; }
    char e = p[1];
    p += 2;
    if (e == 'u') {
      unsigned long c = strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
      p += 4;
      if (c >= 0xD800 && c < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
        c = 0x10000 + ((c - 0xD800) << 10) + (strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16) - 0xDC00);
        p += 6;
      }
      json_put_utf8(out, c);
    } else {
      const char *from = "bfnrt", *to = "\b\f\n\r\t", *hit = strchr(from, e);
      out->string[out->length++] = hit ? to[hit - from] : e;
    }
  }
  out->string[out->length] = 0;
  return end + 1;
}

static const char *json_value(const char *p, struct json *out);

/* Reads the items of an array (keys NULL) or the members of an object. */
static const char *json_items(const char *p, struct json *out, char close, bool members) {
  size_t capacity = 0;
  p = json_skip(p + 1);
  while (*p && *p != close) {
    if (out->count == capacity) {
      capacity = capacity ? 2 * capacity : 8;
      out->values = realloc(out->values, capacity * sizeof *out->values);
      if (members) out->keys = realloc(out->keys, capacity * sizeof *out->keys);
    }
    memset(&out->values[out->count], 0, sizeof *out->values);
    if (members) {
      memset(&out->keys[out->count], 0, sizeof *out->keys);
      if (*p != '"' || !(p = json_string(p, &out->keys[out->count]))) return NULL;
      p = json_skip(p);
      if (*p++ != ':') return NULL;
    }
    if (!(p = json_value(json_skip(p), &out->values[out->count++]))) return NULL;
    p = json_skip(p);
    if (*p == ',') p = json_skip(p + 1);
  }
  return *p == close ? p + 1 : NULL;
}

static const char *json_value(const char *p, struct json *out) {
  if (*p == '"') return json_string(p, out);
  if (*p == '{') { out->type = JSON_OBJECT; return json_items(p, out, '}', true); }
  if (*p == '[') { out->type = JSON_ARRAY; return json_items(p, out, ']', false); }
  if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
    out->type = JSON_BOOL;
    out->boolean = *p == 't';
    return p + (out->boolean ? 4 : 5);
  }
  if (!strncmp(p, "null", 4)) { out->type = JSON_NULL; return p + 4; }
  char *end;
  out->type = JSON_NUMBER;
  out->number = strtod(p, &end);
  if (end > p && strcspn(p, ".eE") >= (size_t)(end - p)) {
    errno = 0;
    out->int_value = strtoll(p, NULL, 10);
    out->integer = errno != ERANGE;
  }
  return end > p ? end : NULL;
}

/* The member `key` of an object, or NULL. */
static const struct json *json_get(const struct json *object, const char *key) {
  for (size_t i = 0; object && object->type == JSON_OBJECT && i < object->count; i++) {
    if (!strcmp(object->keys[i].string, key)) return &object->values[i];
  }
  return NULL;
}

static void json_free(struct json *v) {
  for (size_t i = 0; i < v->count; i++) {
    if (v->keys) json_free(&v->keys[i]);
    json_free(&v->values[i]);
  }
  free(v->keys);
  free(v->values);
  free(v->string);
  memset(v, 0, sizeof *v);
}

#endif

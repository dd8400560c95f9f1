// Just enough XML for S3's answers: the text of named elements.
//
// S3 answers with flat, machine-written XML (ListBucketResult, Error). This
// finds elements by name without building a tree: no DTDs, no entity
// definitions, no recursion, nothing fetched, so a hostile or broken answer can
// only fail to parse. Names match exactly (`Key` does not match `KeyCount`);
// elements of one name must not nest, which S3's never do. Text is decoded
// (&amp; &lt; &gt; &quot; &apos; and numeric references).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopefs::s3 {

// The raw content of every <name>...</name> (or <name/>) in `xml`, in order.
// The views point into `xml`.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view name);

// The decoded text of the first <name> element; nullopt if there is none or
// its text has a malformed entity.
std::optional<std::string> XmlText(std::string_view xml, std::string_view name);

// Decodes the five predefined entities and &#N; / &#xN; (as UTF-8); nullopt on
// a malformed or unknown entity.
std::optional<std::string> DecodeXmlText(std::string_view text);

}  // namespace scopefs::s3

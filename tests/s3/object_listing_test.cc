#include "store/s3/object_listing.h"

#include <gtest/gtest.h>

#include "store/s3/xml_scan.h"

namespace scopefs::s3 {
namespace {

// A page as radosgw writes it (namespace attribute, Owner blocks, quoted ETags).
constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>scopes</Name><Prefix>a/</Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>a/one</Key><LastModified>2024-05-01T10:20:30.123Z</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass><Owner><ID>tester</ID><DisplayName>t</DisplayName></Owner><Type>Normal</Type></Contents><Contents><Key>a/R&amp;D &lt;x&gt; &#xE4;</Key><LastModified>2024-05-01T10:20:31.000Z</LastModified><ETag>"abc"</ETag><Size>12345678901</Size></Contents><KeyCount>2</KeyCount><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>)";

TEST(ObjectListingTest, ParsesAPage) {
  store::Result<ObjectListing> listing = ParseListObjectsV2(kPage);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(listing->objects.size(), 2u);
  EXPECT_EQ(listing->objects[0].key, "a/one");
  EXPECT_EQ(listing->objects[0].size, 0u);
  EXPECT_EQ(listing->objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(listing->objects[0].last_modified), 1714558830);
  EXPECT_EQ(listing->objects[1].key, "a/R&D <x> \xC3\xA4");
  EXPECT_EQ(listing->objects[1].size, 12345678901u);
  EXPECT_EQ(listing->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ObjectListingTest, LastPageAndEmptyPage) {
  store::Result<ObjectListing> empty = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><Prefix/><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_EQ(empty->next_continuation_token, "");
}

TEST(ObjectListingTest, RefusesWhatIsNotAListing) {
  for (const char* bad : {
           "",
           "<Error><Code>AccessDenied</Code></Error>",
           "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>1x</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k&bogus;</Key><Size>1</Size></Contents></"
           "ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>1</Size><LastModified>yesterday"
           "</LastModified></Contents></ListBucketResult>",
           "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
       }) {
    store::Result<ObjectListing> listing = ParseListObjectsV2(bad);
    EXPECT_EQ(listing.status().code(), store::Status::Code::kCorruption) << bad;
  }
}

TEST(XmlScanTest, MatchesWholeNamesOnlyAndSurvivesTruncation) {
  EXPECT_EQ(XmlText("<KeyCount>2</KeyCount><Key>k</Key>", "Key"), "k");
  EXPECT_EQ(XmlText("<Key>unterminated", "Key"), std::nullopt);
  EXPECT_EQ(XmlText("<Key", "Key"), std::nullopt);
  EXPECT_EQ(XmlText("<Key/>", "Key"), "");
  EXPECT_EQ(XmlElements("<a>1</a><a x='y'>2</a><ab>3</ab>", "a").size(), 2u);
}

TEST(XmlScanTest, DecodesEntities) {
  EXPECT_EQ(DecodeXmlText("&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x20AC;"), "&<>\"'AB\xE2\x82\xAC");
  EXPECT_EQ(DecodeXmlText("&#0;"), std::nullopt);
  EXPECT_EQ(DecodeXmlText("&#xD800;"), std::nullopt);
  EXPECT_EQ(DecodeXmlText("&#x110000;"), std::nullopt);
  EXPECT_EQ(DecodeXmlText("&amp"), std::nullopt);
  EXPECT_EQ(DecodeXmlText("&unknown;"), std::nullopt);
}

}  // namespace
}  // namespace scopefs::s3

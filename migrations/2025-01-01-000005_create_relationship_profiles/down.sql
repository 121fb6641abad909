DROP TABLE relationship_profiles;

CREATE TABLE allegation_type_terms (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	name VARCHAR(255) NOT NULL, 
	parent_id BIGINT, 
	weight INTEGER NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	name_key VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_allegation_type_terms PRIMARY KEY (id), 
	CONSTRAINT fk_allegation_type_terms_parent_id FOREIGN KEY(parent_id) REFERENCES allegation_type_terms (id), 
	CONSTRAINT uq_allegation_type_terms_name_key UNIQUE (name_key)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_allegation_type_terms_parent_id ON allegation_type_terms (parent_id);

CREATE TABLE awareness_topic_terms (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	name VARCHAR(255) NOT NULL, 
	parent_id BIGINT, 
	weight INTEGER NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	name_key VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_awareness_topic_terms PRIMARY KEY (id), 
	CONSTRAINT fk_awareness_topic_terms_parent_id FOREIGN KEY(parent_id) REFERENCES awareness_topic_terms (id), 
	CONSTRAINT uq_awareness_topic_terms_name_key UNIQUE (name_key)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_awareness_topic_terms_parent_id ON awareness_topic_terms (parent_id);

CREATE TABLE organisation_terms (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	name VARCHAR(255) NOT NULL, 
	parent_id BIGINT, 
	weight INTEGER NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	name_key VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_organisation_terms PRIMARY KEY (id), 
	CONSTRAINT fk_organisation_terms_parent_id FOREIGN KEY(parent_id) REFERENCES organisation_terms (id), 
	CONSTRAINT uq_organisation_terms_name_key UNIQUE (name_key)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_organisation_terms_parent_id ON organisation_terms (parent_id);

CREATE TABLE pm_locks (
	name VARCHAR(64) NOT NULL, 
	holder_host VARCHAR(255) NOT NULL, 
	holder_pid INTEGER NOT NULL, 
	run_id BIGINT, 
	acquired_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	CONSTRAINT pk_pm_locks PRIMARY KEY (name)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE tenants (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	code VARCHAR(32) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	source_description LONGTEXT, 
	template VARCHAR(64), 
	template_version VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_tenants PRIMARY KEY (id), 
	CONSTRAINT uq_tenants_code UNIQUE (code)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE accounts (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	email_key VARCHAR(254) NOT NULL, 
	email VARCHAR(254) NOT NULL, 
	password_hash VARCHAR(255), 
	first_tenant_id INTEGER NOT NULL, 
	created_at DATETIME, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accounts PRIMARY KEY (id), 
	CONSTRAINT uq_accounts_email_key UNIQUE (email_key), 
	CONSTRAINT fk_accounts_first_tenant_id FOREIGN KEY(first_tenant_id) REFERENCES tenants (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_accounts_first_tenant_id ON accounts (first_tenant_id);

CREATE TABLE allegation_type_term_sources (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	term_id BIGINT NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_allegation_type_term_sources PRIMARY KEY (id), 
	CONSTRAINT uq_allegation_type_term_sources_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_allegation_type_term_sources_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_allegation_type_term_sources_term_id FOREIGN KEY(term_id) REFERENCES allegation_type_terms (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_allegation_type_term_sources_term_id ON allegation_type_term_sources (term_id);

CREATE TABLE awareness_topic_term_sources (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	term_id BIGINT NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_awareness_topic_term_sources PRIMARY KEY (id), 
	CONSTRAINT uq_awareness_topic_term_sources_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_awareness_topic_term_sources_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_awareness_topic_term_sources_term_id FOREIGN KEY(term_id) REFERENCES awareness_topic_terms (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_awareness_topic_term_sources_term_id ON awareness_topic_term_sources (term_id);

CREATE TABLE location_terms (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	name VARCHAR(255) NOT NULL, 
	parent_id BIGINT, 
	weight INTEGER NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	CONSTRAINT pk_location_terms PRIMARY KEY (id), 
	CONSTRAINT uq_location_terms_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_location_terms_parent_id FOREIGN KEY(parent_id) REFERENCES location_terms (id), 
	CONSTRAINT fk_location_terms_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_location_terms_parent_id ON location_terms (parent_id);

CREATE TABLE organisation_term_sources (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	term_id BIGINT NOT NULL, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_organisation_term_sources PRIMARY KEY (id), 
	CONSTRAINT uq_organisation_term_sources_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_organisation_term_sources_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_organisation_term_sources_term_id FOREIGN KEY(term_id) REFERENCES organisation_terms (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_organisation_term_sources_term_id ON organisation_term_sources (term_id);

CREATE TABLE pm_runs (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER, 
	site VARCHAR(64), 
	mode VARCHAR(16) NOT NULL, 
	started_by VARCHAR(128), 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	status VARCHAR(16) NOT NULL, 
	mapping_digest VARCHAR(64), 
	allowed_plaintext BOOL NOT NULL DEFAULT '0', 
	counts JSON, 
	CONSTRAINT pk_pm_runs PRIMARY KEY (id), 
	CONSTRAINT fk_pm_runs_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_pm_runs_tenant_id ON pm_runs (tenant_id);

CREATE TABLE roles (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_roles PRIMARY KEY (id), 
	CONSTRAINT uq_roles_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_roles_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE memberships (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	account_id BIGINT, 
	source_id BIGINT NOT NULL, 
	username VARCHAR(255) NOT NULL, 
	active BOOL NOT NULL, 
	password_hash VARCHAR(255), 
	created_at DATETIME, 
	last_login_at DATETIME, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_memberships PRIMARY KEY (id), 
	CONSTRAINT uq_memberships_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_memberships_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_memberships_account_id FOREIGN KEY(account_id) REFERENCES accounts (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_memberships_account_id ON memberships (account_id);

CREATE TABLE pm_id_map (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_entity VARCHAR(64) NOT NULL, 
	source_id VARCHAR(64) NOT NULL, 
	target_table VARCHAR(64) NOT NULL, 
	target_id BIGINT, 
	row_hash VARCHAR(64), 
	status VARCHAR(16) NOT NULL, 
	first_run_id BIGINT NOT NULL, 
	run_id BIGINT NOT NULL, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_pm_id_map PRIMARY KEY (id), 
	CONSTRAINT uq_pm_id_map_tenant_id_source_entity_source_id UNIQUE (tenant_id, source_entity, source_id), 
	CONSTRAINT fk_pm_id_map_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_pm_id_map_first_run_id FOREIGN KEY(first_run_id) REFERENCES pm_runs (id), 
	CONSTRAINT fk_pm_id_map_run_id FOREIGN KEY(run_id) REFERENCES pm_runs (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_pm_id_map_first_run_id ON pm_id_map (first_run_id);
CREATE INDEX ix_pm_id_map_run_id ON pm_id_map (run_id);

CREATE TABLE pm_messages (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	run_id BIGINT NOT NULL, 
	tenant_id INTEGER, 
	source_entity VARCHAR(64), 
	source_id VARCHAR(64), 
	level VARCHAR(16) NOT NULL, 
	message VARCHAR(1024) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_pm_messages PRIMARY KEY (id), 
	CONSTRAINT fk_pm_messages_run_id FOREIGN KEY(run_id) REFERENCES pm_runs (id), 
	CONSTRAINT fk_pm_messages_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_pm_messages_run_id ON pm_messages (run_id);
CREATE INDEX ix_pm_messages_tenant_id ON pm_messages (tenant_id);

CREATE TABLE awareness_sessions (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_revision_id BIGINT, 
	source_language VARCHAR(12), 
	title VARCHAR(255), 
	author_id BIGINT, 
	published BOOL, 
	created_at DATETIME, 
	changed_at DATETIME, 
	session_date DATE, 
	location_id BIGINT, 
	participants_women INTEGER, 
	participants_men INTEGER, 
	participants_girls INTEGER, 
	participants_boys INTEGER, 
	facilitating_org_id BIGINT, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_awareness_sessions PRIMARY KEY (id), 
	CONSTRAINT uq_awareness_sessions_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_awareness_sessions_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_awareness_sessions_author_id FOREIGN KEY(author_id) REFERENCES memberships (id), 
	CONSTRAINT fk_awareness_sessions_location_id FOREIGN KEY(location_id) REFERENCES location_terms (id), 
	CONSTRAINT fk_awareness_sessions_facilitating_org_id FOREIGN KEY(facilitating_org_id) REFERENCES organisation_terms (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_awareness_sessions_author_id ON awareness_sessions (author_id);
CREATE INDEX ix_awareness_sessions_facilitating_org_id ON awareness_sessions (facilitating_org_id);
CREATE INDEX ix_awareness_sessions_location_id ON awareness_sessions (location_id);

CREATE TABLE complaints (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_revision_id BIGINT, 
	source_language VARCHAR(12), 
	title VARCHAR(255), 
	author_id BIGINT, 
	published BOOL, 
	created_at DATETIME, 
	changed_at DATETIME, 
	code VARCHAR(64) NOT NULL, 
	date_received DATE, 
	intake_channel VARCHAR(32), 
	survivor_age_group VARCHAR(32), 
	survivor_sex VARCHAR(16), 
	alleged_perpetrator_org_id BIGINT, 
	allegation_type_id BIGINT, 
	location_id BIGINT, 
	status VARCHAR(32) NOT NULL, 
	referred_to_victim_assistance BOOL, 
	narrative LONGTEXT, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_complaints PRIMARY KEY (id), 
	CONSTRAINT uq_complaints_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_complaints_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_complaints_author_id FOREIGN KEY(author_id) REFERENCES memberships (id), 
	CONSTRAINT fk_complaints_alleged_perpetrator_org_id FOREIGN KEY(alleged_perpetrator_org_id) REFERENCES organisation_terms (id), 
	CONSTRAINT fk_complaints_allegation_type_id FOREIGN KEY(allegation_type_id) REFERENCES allegation_type_terms (id), 
	CONSTRAINT fk_complaints_location_id FOREIGN KEY(location_id) REFERENCES location_terms (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_complaints_allegation_type_id ON complaints (allegation_type_id);
CREATE INDEX ix_complaints_alleged_perpetrator_org_id ON complaints (alleged_perpetrator_org_id);
CREATE INDEX ix_complaints_author_id ON complaints (author_id);
CREATE INDEX ix_complaints_location_id ON complaints (location_id);

CREATE TABLE files (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	owner_id BIGINT, 
	filename VARCHAR(255) NOT NULL, 
	uri VARCHAR(512) NOT NULL, 
	mime VARCHAR(255), 
	size BIGINT, 
	sha256 VARCHAR(64), 
	status INTEGER, 
	created_at DATETIME, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_files PRIMARY KEY (id), 
	CONSTRAINT uq_files_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_files_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_files_owner_id FOREIGN KEY(owner_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_files_owner_id ON files (owner_id);

CREATE TABLE membership_roles (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	membership_id BIGINT NOT NULL, 
	role_id BIGINT NOT NULL, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_membership_roles PRIMARY KEY (id), 
	CONSTRAINT uq_membership_roles_tenant_id_membership_id_role_id UNIQUE (tenant_id, membership_id, role_id), 
	CONSTRAINT fk_membership_roles_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_membership_roles_membership_id FOREIGN KEY(membership_id) REFERENCES memberships (id), 
	CONSTRAINT fk_membership_roles_role_id FOREIGN KEY(role_id) REFERENCES roles (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_membership_roles_membership_id ON membership_roles (membership_id);
CREATE INDEX ix_membership_roles_role_id ON membership_roles (role_id);

CREATE TABLE awareness_session_notes (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	awareness_session_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_entity_id BIGINT NOT NULL, 
	parent_id BIGINT, 
	thread VARCHAR(255) NOT NULL, 
	author_id BIGINT, 
	subject VARCHAR(255), 
	body LONGTEXT, 
	body_format VARCHAR(64), 
	published BOOL NOT NULL, 
	source_language VARCHAR(12), 
	created_at DATETIME, 
	changed_at DATETIME, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_awareness_session_notes PRIMARY KEY (id), 
	CONSTRAINT uq_awareness_session_notes_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_awareness_session_notes_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_awareness_session_notes_awareness_session_id FOREIGN KEY(awareness_session_id) REFERENCES awareness_sessions (id), 
	CONSTRAINT fk_awareness_session_notes_parent_id FOREIGN KEY(parent_id) REFERENCES awareness_session_notes (id), 
	CONSTRAINT fk_awareness_session_notes_author_id FOREIGN KEY(author_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_awareness_session_notes_author_id ON awareness_session_notes (author_id);
CREATE INDEX ix_awareness_session_notes_awareness_session_id ON awareness_session_notes (awareness_session_id);
CREATE INDEX ix_awareness_session_notes_parent_id ON awareness_session_notes (parent_id);

CREATE TABLE awareness_session_revisions (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	awareness_session_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_revision_id BIGINT NOT NULL, 
	author_id BIGINT, 
	revised_at DATETIME, 
	log LONGTEXT, 
	snapshot JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_awareness_session_revisions PRIMARY KEY (id), 
	CONSTRAINT uq_awareness_session_revisions_tenant_id_source_revision_id UNIQUE (tenant_id, source_revision_id), 
	CONSTRAINT fk_awareness_session_revisions_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_awareness_session_revisions_awareness_session_id FOREIGN KEY(awareness_session_id) REFERENCES awareness_sessions (id), 
	CONSTRAINT fk_awareness_session_revisions_author_id FOREIGN KEY(author_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_awareness_session_revisions_author_id ON awareness_session_revisions (author_id);
CREATE INDEX ix_awareness_session_revisions_awareness_session_id ON awareness_session_revisions (awareness_session_id);

CREATE TABLE awareness_session_topics (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	awareness_session_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	delta INTEGER NOT NULL, 
	term_id BIGINT NOT NULL, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_awareness_session_topics PRIMARY KEY (id), 
	CONSTRAINT uq_awareness_session_topics_tenant_id_source_id_delta UNIQUE (tenant_id, source_id, delta), 
	CONSTRAINT fk_awareness_session_topics_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_awareness_session_topics_awareness_session_id FOREIGN KEY(awareness_session_id) REFERENCES awareness_sessions (id), 
	CONSTRAINT fk_awareness_session_topics_term_id FOREIGN KEY(term_id) REFERENCES awareness_topic_terms (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_awareness_session_topics_awareness_session_id ON awareness_session_topics (awareness_session_id);
CREATE INDEX ix_awareness_session_topics_term_id ON awareness_session_topics (term_id);

CREATE TABLE complaint_attachments (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	complaint_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	delta INTEGER NOT NULL, 
	file_id BIGINT NOT NULL, 
	description VARCHAR(255), 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_complaint_attachments PRIMARY KEY (id), 
	CONSTRAINT uq_complaint_attachments_tenant_id_source_id_delta UNIQUE (tenant_id, source_id, delta), 
	CONSTRAINT fk_complaint_attachments_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_complaint_attachments_complaint_id FOREIGN KEY(complaint_id) REFERENCES complaints (id), 
	CONSTRAINT fk_complaint_attachments_file_id FOREIGN KEY(file_id) REFERENCES files (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_complaint_attachments_complaint_id ON complaint_attachments (complaint_id);
CREATE INDEX ix_complaint_attachments_file_id ON complaint_attachments (file_id);

CREATE TABLE complaint_notes (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	complaint_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_entity_id BIGINT NOT NULL, 
	parent_id BIGINT, 
	thread VARCHAR(255) NOT NULL, 
	author_id BIGINT, 
	subject VARCHAR(255), 
	body LONGTEXT, 
	body_format VARCHAR(64), 
	published BOOL NOT NULL, 
	source_language VARCHAR(12), 
	created_at DATETIME, 
	changed_at DATETIME, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_complaint_notes PRIMARY KEY (id), 
	CONSTRAINT uq_complaint_notes_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_complaint_notes_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_complaint_notes_complaint_id FOREIGN KEY(complaint_id) REFERENCES complaints (id), 
	CONSTRAINT fk_complaint_notes_parent_id FOREIGN KEY(parent_id) REFERENCES complaint_notes (id), 
	CONSTRAINT fk_complaint_notes_author_id FOREIGN KEY(author_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_complaint_notes_author_id ON complaint_notes (author_id);
CREATE INDEX ix_complaint_notes_complaint_id ON complaint_notes (complaint_id);
CREATE INDEX ix_complaint_notes_parent_id ON complaint_notes (parent_id);

CREATE TABLE complaint_revisions (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	complaint_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_revision_id BIGINT NOT NULL, 
	author_id BIGINT, 
	revised_at DATETIME, 
	log LONGTEXT, 
	status VARCHAR(32), 
	snapshot JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_complaint_revisions PRIMARY KEY (id), 
	CONSTRAINT uq_complaint_revisions_tenant_id_source_revision_id UNIQUE (tenant_id, source_revision_id), 
	CONSTRAINT fk_complaint_revisions_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_complaint_revisions_complaint_id FOREIGN KEY(complaint_id) REFERENCES complaints (id), 
	CONSTRAINT fk_complaint_revisions_author_id FOREIGN KEY(author_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_complaint_revisions_author_id ON complaint_revisions (author_id);
CREATE INDEX ix_complaint_revisions_complaint_id ON complaint_revisions (complaint_id);

CREATE TABLE referrals (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_revision_id BIGINT, 
	source_language VARCHAR(12), 
	title VARCHAR(255), 
	author_id BIGINT, 
	published BOOL, 
	created_at DATETIME, 
	changed_at DATETIME, 
	complaint_id BIGINT, 
	service_type VARCHAR(32), 
	referral_date DATE, 
	outcome VARCHAR(32), 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_referrals PRIMARY KEY (id), 
	CONSTRAINT uq_referrals_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_referrals_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_referrals_author_id FOREIGN KEY(author_id) REFERENCES memberships (id), 
	CONSTRAINT fk_referrals_complaint_id FOREIGN KEY(complaint_id) REFERENCES complaints (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_referrals_author_id ON referrals (author_id);
CREATE INDEX ix_referrals_complaint_id ON referrals (complaint_id);

CREATE TABLE referral_notes (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	referral_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_entity_id BIGINT NOT NULL, 
	parent_id BIGINT, 
	thread VARCHAR(255) NOT NULL, 
	author_id BIGINT, 
	subject VARCHAR(255), 
	body LONGTEXT, 
	body_format VARCHAR(64), 
	published BOOL NOT NULL, 
	source_language VARCHAR(12), 
	created_at DATETIME, 
	changed_at DATETIME, 
	extra JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_referral_notes PRIMARY KEY (id), 
	CONSTRAINT uq_referral_notes_tenant_id_source_id UNIQUE (tenant_id, source_id), 
	CONSTRAINT fk_referral_notes_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_referral_notes_referral_id FOREIGN KEY(referral_id) REFERENCES referrals (id), 
	CONSTRAINT fk_referral_notes_parent_id FOREIGN KEY(parent_id) REFERENCES referral_notes (id), 
	CONSTRAINT fk_referral_notes_author_id FOREIGN KEY(author_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_referral_notes_author_id ON referral_notes (author_id);
CREATE INDEX ix_referral_notes_parent_id ON referral_notes (parent_id);
CREATE INDEX ix_referral_notes_referral_id ON referral_notes (referral_id);

CREATE TABLE referral_revisions (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	tenant_id INTEGER NOT NULL, 
	referral_id BIGINT NOT NULL, 
	source_id BIGINT NOT NULL, 
	source_revision_id BIGINT NOT NULL, 
	author_id BIGINT, 
	revised_at DATETIME, 
	log LONGTEXT, 
	outcome VARCHAR(32), 
	snapshot JSON, 
	imported_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_referral_revisions PRIMARY KEY (id), 
	CONSTRAINT uq_referral_revisions_tenant_id_source_revision_id UNIQUE (tenant_id, source_revision_id), 
	CONSTRAINT fk_referral_revisions_tenant_id FOREIGN KEY(tenant_id) REFERENCES tenants (id), 
	CONSTRAINT fk_referral_revisions_referral_id FOREIGN KEY(referral_id) REFERENCES referrals (id), 
	CONSTRAINT fk_referral_revisions_author_id FOREIGN KEY(author_id) REFERENCES memberships (id)
)ENGINE=InnoDB CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_referral_revisions_author_id ON referral_revisions (author_id);
CREATE INDEX ix_referral_revisions_referral_id ON referral_revisions (referral_id);


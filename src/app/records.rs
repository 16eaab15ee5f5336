//! Deployment records in the application repository: found by one scan of its tags, read
//! from the few tag objects that scan keeps.

use super::AppRepo;
use crate::config::Tags;
use crate::error::Error;
use crate::gate::Deployed;
use crate::git::{TagLine, TagRef};
use crate::object_id::ObjectId;
use crate::record::{self, Candidate, Record};

impl AppRepo {
    /// The newest `limit` records, of one environment or all, newest first.
    ///
    /// Names narrow the tags to read; each candidate's message decides whether it is a record.
    ///
    /// # Errors
    /// When the tags cannot be read.
    pub fn records(&self, tags: &Tags, environment: Option<&str>, limit: usize) -> Result<Vec<Record>, Error> {
        let candidates = self.candidates(tags, environment)?;
        self.newest(candidates, tags, environment, limit)
    }

    /// The latest record of each environment, in the order given; one pass over the tags.
    ///
    /// # Errors
    /// When the tags cannot be read.
    pub fn latest(&self, tags: &Tags, environments: &[&str]) -> Result<Vec<Option<Record>>, Error> {
        let scanned = self.scan(tags, environments, None)?;
        let mut latest = Vec::new();
        for (environment, scanned) in environments.iter().zip(scanned) {
            latest.push(self.newest_of(tags, environment, scanned.newest)?);
        }
        Ok(latest)
    }

    /// One pass over the tags: for each environment, the candidates of its newest second and,
    /// when `commit` is given, those on that commit. Nothing is allocated per tag: the newest
    /// second's lines are copied into buffers reused whenever a newer second turns up.
    fn scan(&self, tags: &Tags, environments: &[&str], commit: Option<&ObjectId>) -> Result<Vec<Scanned>, Error> {
        let mut newest: Vec<(String, Pool)> = environments.iter().map(|_| Default::default()).collect();
        let mut on_commit: Vec<Pool> = environments.iter().map(|_| Pool::default()).collect();
        let mut unpeeled: Vec<Pool> = environments.iter().map(|_| Pool::default()).collect();
        let single = if let [one] = environments { Some(*one) } else { None };
        self.repo.scan_tags("", &mut |line| {
            if single.is_some_and(|env| !line.name.contains(env)) {
                return;
            }
            let Some((environment, timestamp)) = record::candidate_in(line.name, tags, single) else { return };
            let Some(index) = environments.iter().position(|e| *e == environment) else { return };
            if let Some(commit) = commit {
                match line.peeled {
                    Some(peeled) if peeled == commit.as_str() => on_commit[index].push(&line),
                    Some(_) => {}
                    None => unpeeled[index].push(&line),
                }
            }
            let (best, pool) = &mut newest[index];
            if timestamp > best.as_str() {
                best.clear();
                best.push_str(timestamp);
                pool.clear();
            }
            if timestamp == best.as_str() {
                pool.push(&line);
            }
        })?;
        let mut scanned = Vec::new();
        for (index, environment) in environments.iter().enumerate() {
            let kept = |pool: &Pool| -> Vec<(Candidate, TagRef)> {
                pool.lines()
                    .filter_map(|line| Some((record::candidate(line.name, tags, Some(environment))?, line.to_ref()?)))
                    .collect()
            };
            let mut on = kept(&on_commit[index]);
            // Loose and lightweight tags carry no peeled id: their objects say where they point.
            if let Some(commit) = commit {
                for (candidate, tag) in kept(&unpeeled[index]) {
                    if self.repo.tag_commit(&tag)?.as_ref() == Some(commit) {
                        on.push((candidate, tag));
                    }
                }
            }
            let (best, pool) = &newest[index];
            let newest = (!best.is_empty()).then(|| (best.clone(), kept(pool)));
            scanned.push(Scanned { newest, on_commit: on });
        }
        Ok(scanned)
    }

    /// The newest record among the candidates of an environment's newest second; when none of
    /// them is a record after all (a look-alike tag), every candidate is read in order.
    fn newest_of(
        &self,
        tags: &Tags,
        environment: &str,
        newest: Option<(String, Vec<(Candidate, TagRef)>)>,
    ) -> Result<Option<Record>, Error> {
        let Some((_, candidates)) = newest else { return Ok(None) };
        if let Some(record) = self.newest(candidates, tags, Some(environment), 1)?.into_iter().next() {
            return Ok(Some(record));
        }
        let all = self.candidates(tags, Some(environment))?;
        Ok(self.newest(all, tags, Some(environment), 1)?.into_iter().next())
    }

    fn newest(
        &self,
        mut candidates: Vec<(Candidate, TagRef)>,
        tags: &Tags,
        environment: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        candidates.sort_by(|a, b| b.0.timestamp.cmp(&a.0.timestamp));
        let mut found = Vec::new();
        let mut start = 0;
        while start < candidates.len() && found.len() < limit {
            let second = &candidates[start].0.timestamp;
            let end = candidates[start..]
                .iter()
                .position(|c| &c.0.timestamp != second)
                .map_or(candidates.len(), |n| start + n);
            for (candidate, tag) in &candidates[start..end] {
                found.extend(self.read_record(candidate, tag, tags, environment)?);
            }
            start = end;
        }
        found.sort_by(Record::newest_first);
        found.truncate(limit);
        Ok(found)
    }

    /// Every record of an environment on one commit, newest first.
    ///
    /// # Errors
    /// When the tags cannot be read.
    pub fn records_on(&self, tags: &Tags, environment: &str, commit: &ObjectId) -> Result<Vec<Record>, Error> {
        let scanned = self.scan(tags, &[environment], Some(commit))?.pop().unwrap_or_default();
        self.newest(scanned.on_commit, tags, Some(environment), usize::MAX)
    }

    /// What `environment` has deployed: its newest record, and its newest record on `commit`
    /// or, when `tree` is given, on any commit with that tree. One pass over the tags.
    ///
    /// # Errors
    /// When the tags or commits cannot be read.
    pub fn deployed(
        &self,
        tags: &Tags,
        environment: &str,
        commit: &ObjectId,
        tree: Option<&ObjectId>,
    ) -> Result<Deployed, Error> {
        let Some(tree) = tree else {
            let scanned = self.scan(tags, &[environment], Some(commit))?.pop().unwrap_or_default();
            let matching = self.newest(scanned.on_commit, tags, Some(environment), 1)?.into_iter().next();
            let latest = self.newest_of(tags, environment, scanned.newest)?;
            return Ok(Deployed { matching, latest });
        };
        let candidates = self.candidates(tags, Some(environment))?;
        let mut on_tree = Vec::new();
        for (candidate, tag) in &candidates {
            let Some(at) = self.repo.tag_commit(tag)? else { continue };
            if &at == commit || (self.repo.has_object(&at) && &self.repo.commit_tree(&at)? == tree) {
                on_tree.push((candidate.clone(), tag.clone()));
            }
        }
        let matching = self.newest(on_tree, tags, Some(environment), 1)?.into_iter().next();
        let latest = self.newest(candidates, tags, Some(environment), 1)?.into_iter().next();
        Ok(Deployed { matching, latest })
    }

    /// The tags whose names could be records (of `environment`, when given): one scan of the
    /// tags, which allocates only for those.
    fn candidates(&self, tags: &Tags, environment: Option<&str>) -> Result<Vec<(Candidate, TagRef)>, Error> {
        let mut found = Vec::new();
        self.repo.scan_tags("", &mut |line| {
            // Every record name holds its environment's name: a cheap first filter.
            if environment.is_some_and(|env| !line.name.contains(env)) {
                return;
            }
            if let Some(candidate) = record::candidate(line.name, tags, environment) {
                found.extend(line.to_ref().map(|tag| (candidate, tag)));
            }
        })?;
        Ok(found)
    }

    fn read_record(
        &self,
        candidate: &Candidate,
        tag: &TagRef,
        tags: &Tags,
        environment: Option<&str>,
    ) -> Result<Option<Record>, Error> {
        let Some(object) = self.repo.tag_object(tag)? else { return Ok(None) };
        let record = Record::parse(&candidate.tag, object.commit, &object.message, tags);
        Ok(record.filter(|r| environment.is_none_or(|env| r.deployment.environment == env)))
    }
}

/// What one scan of the tags keeps for an environment.
#[derive(Debug, Default)]
struct Scanned {
    /// The second of its newest candidates, and those candidates.
    newest: Option<(String, Vec<(Candidate, TagRef)>)>,
    /// The candidates on the commit asked about.
    on_commit: Vec<(Candidate, TagRef)>,
}

/// Copies of tag lines, in buffers that are reused after `clear`.
#[derive(Debug, Default)]
struct Pool {
    lines: Vec<[String; 3]>,
    peeled: Vec<bool>,
    len: usize,
}

impl Pool {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn push(&mut self, line: &TagLine<'_>) {
        if self.len == self.lines.len() {
            self.lines.push(Default::default());
            self.peeled.push(false);
        }
        let texts = [line.name, line.target, line.peeled.unwrap_or_default()];
        for (kept, text) in self.lines[self.len].iter_mut().zip(texts) {
            kept.clear();
            kept.push_str(text);
        }
        self.peeled[self.len] = line.peeled.is_some();
        self.len += 1;
    }

    fn lines(&self) -> impl Iterator<Item = TagLine<'_>> {
        self.lines[..self.len].iter().zip(&self.peeled).map(|([name, target, peeled], has)| TagLine {
            name,
            target,
            peeled: has.then_some(peeled.as_str()),
        })
    }
}

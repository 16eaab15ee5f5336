//! Deployment records in the application repository: found by one scan of its tags, read
//! from the few tag objects that scan keeps.

use super::AppRepo;
use super::index::{Builder, Index};
use crate::clock;
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

    /// One pass over the tags: for each environment, the candidates of its newest second and,
    /// for each ask (an environment's index and a commit), the environment's candidates on that
    /// commit. Nothing is allocated per tag: the newest second's lines are copied into buffers
    /// reused whenever a newer second turns up.
    fn scan(&self, tags: &Tags, environments: &[&str], asks: &[(usize, &ObjectId)]) -> Result<Scan, Error> {
        // The newest second so far, as a number: `YYYYMMDDTHHMMSSZ` compares as its 16 bytes do.
        let mut newest: Vec<(u128, Pool)> = environments.iter().map(|_| Default::default()).collect();
        let mut on_commit: Vec<Pool> = asks.iter().map(|_| Pool::default()).collect();
        let mut unpeeled: Vec<Pool> = environments.iter().map(|_| Pool::default()).collect();
        let asked: Vec<bool> = (0..environments.len()).map(|i| asks.iter().any(|(e, _)| *e == i)).collect();
        let single = if let [one] = environments { Some(*one) } else { None };
        // A name dated after the horizon is no record: it must not become an environment's
        // newest second, whatever it says.
        let horizon_text = record::timestamp_text(clock::horizon()?);
        let horizon = <[u8; 16]>::try_from(horizon_text.as_bytes()).map_or(u128::MAX, u128::from_be_bytes);
        let commits: Vec<&ObjectId> = asks.iter().map(|(_, commit)| *commit).collect();
        self.visit_tags(tags, environments, &commits, &horizon_text, &mut |line| {
            if line.lightweight || single.is_some_and(|env| !line.name.contains(env)) {
                return;
            }
            let Some((environment, timestamp)) = record::candidate_in(line.name, tags, single) else { return };
            let Some(index) = environments.iter().position(|e| *e == environment) else { return };
            // Whether the second exists is asked only of the few names that would be kept.
            if asked[index] {
                match line.peeled {
                    Some(peeled) => {
                        for (pool, (_, commit)) in on_commit.iter_mut().zip(asks).filter(|(_, (e, _))| *e == index) {
                            if peeled == commit.as_str() && record::possible_second(timestamp) {
                                pool.push(&line);
                            }
                        }
                    }
                    None if record::possible_second(timestamp) => unpeeled[index].push(&line),
                    None => {}
                }
            }
            let Ok(second) = <[u8; 16]>::try_from(timestamp.as_bytes()).map(u128::from_be_bytes) else { return };
            if second > horizon || second < newest[index].0 || !record::possible_second(timestamp) {
                return;
            }
            let (best, pool) = &mut newest[index];
            if second > *best {
                *best = second;
                pool.clear();
            }
            if second == *best {
                pool.push(&line);
            }
        })?;
        let kept = |pool: &Pool, environment: &str| -> Vec<(Candidate, TagRef)> {
            pool.lines()
                .filter_map(|line| Some((record::candidate(line.name, tags, Some(environment))?, line.to_ref()?)))
                .collect()
        };
        let mut scan = Scan {
            newest: environments
                .iter()
                .zip(&newest)
                .map(|(environment, (best, pool))| (*best > 0).then(|| kept(pool, environment)))
                .collect(),
            on_commit: asks.iter().zip(&on_commit).map(|((e, _), pool)| kept(pool, environments[*e])).collect(),
        };
        // Loose and lightweight tags carry no peeled id: their objects say where they point.
        for (index, environment) in environments.iter().enumerate() {
            for (candidate, tag) in kept(&unpeeled[index], environment) {
                let at = self.repo.tag_commit(&tag)?;
                for (on, (_, commit)) in scan.on_commit.iter_mut().zip(asks).filter(|(_, (e, _))| *e == index) {
                    if at.as_ref() == Some(*commit) {
                        on.push((candidate.clone(), tag.clone()));
                    }
                }
            }
        }
        Ok(scan)
    }

    /// The newest record among the candidates of an environment's newest second; when none of
    /// them is a record after all (a look-alike tag), every candidate is read in order.
    fn newest_of(
        &self,
        tags: &Tags,
        environment: &str,
        newest: Option<Vec<(Candidate, TagRef)>>,
    ) -> Result<Option<Record>, Error> {
        let Some(candidates) = newest else { return Ok(None) };
        if let Some(record) = self.newest(candidates, tags, Some(environment), 1)?.into_iter().next() {
            return Ok(Some(record));
        }
        let all = self.candidates(tags, Some(environment))?;
        Ok(self.newest(all, tags, Some(environment), 1)?.into_iter().next())
    }

    fn newest(
        &self,
        candidates: Vec<(Candidate, TagRef)>,
        tags: &Tags,
        environment: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        self.newest_where(candidates, tags, environment, limit, &mut |_| Ok(true))
    }

    /// As [`AppRepo::newest`], of the candidates `keep` keeps: asked newest first, and only
    /// until enough records are found, so a costly question is asked of few.
    fn newest_where(
        &self,
        mut candidates: Vec<(Candidate, TagRef)>,
        tags: &Tags,
        environment: Option<&str>,
        limit: usize,
        keep: &mut dyn FnMut(&TagRef) -> Result<bool, Error>,
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
                if keep(tag)? {
                    found.extend(self.read_record(candidate, tag, tags, environment)?);
                }
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
        let on_commit = self.scan(tags, &[environment], &[(0, commit)])?.on_commit.pop().unwrap_or_default();
        self.newest(on_commit, tags, Some(environment), usize::MAX)
    }

    /// Visits what a scan of every tag for `environments` and `commits` needs: the lines the
    /// records index names, when it holds for packed-refs as it is now; else every tag, noting
    /// the records' lines for the next command. A scan for one environment reads names with
    /// that environment in mind, which the index, made for all, does not: it scans every tag.
    fn visit_tags(
        &self,
        tags: &Tags,
        environments: &[&str],
        commits: &[&ObjectId],
        horizon: &str,
        visit: &mut dyn FnMut(TagLine<'_>),
    ) -> Result<(), Error> {
        if environments.len() < 2 {
            return Ok(self.repo.scan_tags("", visit)?);
        }
        if let Some(index) = Index::open(&self.repo, tags)
            && let Ok(offsets) = index.offsets(environments, commits, horizon)
            && self.repo.scan_tags_at(index.stamp, &offsets, visit)?
        {
            return Ok(());
        }
        let mut builder = Builder::default();
        let stamp = self.repo.scan_tags_noting(&mut |line, offset| builder.note(line, offset, tags), visit)?;
        if let Some(stamp) = stamp {
            builder.write(&self.repo, tags, stamp);
        }
        Ok(())
    }

    /// What environments have deployed, for several questions at once: the latest record of
    /// each environment named in `environments` or in an ask, and each ask's newest matching
    /// record. Commit asks share one pass over the tags; a tree ask reads every record of its
    /// environment, since any commit may have the tree.
    ///
    /// # Errors
    /// When the tags or commits cannot be read.
    pub fn survey(&self, tags: &Tags, environments: &[&str], asks: &[Ask<'_>]) -> Result<Survey, Error> {
        let mut names: Vec<&str> = environments.to_vec();
        for ask in asks {
            if !names.contains(&ask.environment) {
                names.push(ask.environment);
            }
        }
        let index = |name: &str| names.iter().position(|n| *n == name).unwrap_or_default();
        // Every ask is looked for on its commit in the one pass; only an ask that matches trees
        // and finds nothing there reads the trees of its environment's records.
        let by_commit: Vec<(usize, &ObjectId)> = asks.iter().map(|a| (index(a.environment), a.commit)).collect();
        let scan = self.scan(tags, &names, &by_commit)?;
        let mut latest = Vec::new();
        for (environment, newest) in names.iter().zip(scan.newest) {
            latest.push(self.newest_of(tags, environment, newest)?);
        }
        let mut on_commit = scan.on_commit.into_iter();
        let mut matching = Vec::new();
        for ask in asks {
            let exact = on_commit.next().unwrap_or_default();
            let found = match ask.tree {
                Some(tree) if exact.is_empty() => self.newest_on_tree(tags, ask.environment, ask.commit, tree)?,
                _ => self.newest(exact, tags, Some(ask.environment), 1)?.into_iter().next(),
            };
            matching.push(found);
        }
        let asked = asks.iter().map(|a| index(a.environment)).collect();
        let names = names.into_iter().map(str::to_owned).collect();
        Ok(Survey { names, latest, asked, matching })
    }

    /// The newest record of an environment on `commit` or on any commit with `tree`: its
    /// candidates are asked newest first, each commit's tree read once, and no further back than
    /// the newest record found.
    fn newest_on_tree(
        &self,
        tags: &Tags,
        environment: &str,
        commit: &ObjectId,
        tree: &ObjectId,
    ) -> Result<Option<Record>, Error> {
        let mut trees: std::collections::HashMap<ObjectId, bool> = std::collections::HashMap::new();
        let mut keep = |tag: &TagRef| -> Result<bool, Error> {
            let Some(at) = self.repo.tag_commit(tag)? else { return Ok(false) };
            if &at == commit {
                return Ok(true);
            }
            if let Some(known) = trees.get(&at) {
                return Ok(*known);
            }
            let same = self.repo.has_object(&at) && &self.repo.commit_tree(&at)? == tree;
            trees.insert(at, same);
            Ok(same)
        };
        let candidates = self.candidates(tags, Some(environment))?;
        Ok(self.newest_where(candidates, tags, Some(environment), 1, &mut keep)?.into_iter().next())
    }

    /// The tags whose names could be records (of `environment`, when given): one scan of the
    /// tags, which allocates only for those. Lightweight tags and names of a second that never
    /// was are passed over by name, without reading their objects.
    fn candidates(&self, tags: &Tags, environment: Option<&str>) -> Result<Vec<(Candidate, TagRef)>, Error> {
        let mut found = Vec::new();
        self.repo.scan_tags("", &mut |line| {
            // Every record name holds its environment's name: a cheap first filter.
            if line.lightweight || environment.is_some_and(|env| !line.name.contains(env)) {
                return;
            }
            if let Some(candidate) = record::candidate(line.name, tags, environment)
                && record::possible_second(&candidate.timestamp)
            {
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
        // A record's object names it: one pushed again under another name (`+3`) says nothing.
        if object.name != candidate.tag {
            return Ok(None);
        }
        let horizon = clock::horizon()?;
        let record = Record::read_until(&candidate.tag, object.commit.clone(), &object.message, tags, horizon).ok();
        let Some(record) = record.filter(|r| environment.is_none_or(|env| r.deployment.environment == env)) else {
            return Ok(None);
        };
        let owner = record.deployment.environment.as_str();
        Ok(self.vouched(&record.tag, &object, &[owner])?.then_some(record))
    }
}

/// A question for [`AppRepo::survey`]: which record of `environment` is on `commit` or, with
/// `tree`, on a commit with that tree?
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub environment: &'a str,
    pub commit: &'a ObjectId,
    pub tree: Option<&'a ObjectId>,
}

/// The answers of [`AppRepo::survey`].
#[derive(Debug, Default)]
pub struct Survey {
    names: Vec<String>,
    latest: Vec<Option<Record>>,
    /// Per ask: the index of its environment in `names`, and its newest matching record.
    asked: Vec<usize>,
    matching: Vec<Option<Record>>,
}

impl Survey {
    /// The newest record of an environment the survey looked at.
    #[must_use]
    pub fn latest(&self, environment: &str) -> Option<&Record> {
        let index = self.names.iter().position(|n| n == environment)?;
        self.latest[index].as_ref()
    }

    /// What the environment of ask number `index` has deployed, as the gate needs it.
    #[must_use]
    pub fn deployed(&self, index: usize) -> Deployed {
        Deployed {
            matching: self.matching.get(index).cloned().flatten(),
            latest: self.asked.get(index).and_then(|&e| self.latest[e].clone()),
        }
    }
}

/// What one scan of the tags keeps.
#[derive(Debug, Default)]
struct Scan {
    /// Per environment: the candidates of its newest second; `None` when it has none at all.
    newest: Vec<Option<Vec<(Candidate, TagRef)>>>,
    /// Per ask: the candidates on its commit.
    on_commit: Vec<Vec<(Candidate, TagRef)>>,
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
            lightweight: false,
        })
    }
}

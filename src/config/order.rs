//! The order `after` puts environments in: a graph from each environment to those it comes
//! after, which must hold no cycle. Linear in environments and links, as a release file may
//! list thousands.

/// Each environment's component: environments on one cycle share one, and only they.
fn components(next: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let count = next.len();
    let (mut index, mut low) = (vec![UNSEEN; count], vec![0; count]);
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut component = vec![UNSEEN; count];
    let (mut visited, mut found) = (0, 0);
    for root in 0..count {
        if index[root] != UNSEEN {
            continue;
        }
        // Each call of the depth-first walk: the environment, and the next link to follow.
        let mut calls = vec![(root, 0)];
        (index[root], low[root], on_stack[root]) = (visited, visited, true);
        visited += 1;
        stack.push(root);
        while let Some(&(at, link)) = calls.last() {
            if let Some(&to) = next[at].get(link) {
                calls.last_mut().expect("a call").1 += 1;
                if index[to] == UNSEEN {
                    (index[to], low[to], on_stack[to]) = (visited, visited, true);
                    visited += 1;
                    stack.push(to);
                    calls.push((to, 0));
                } else if on_stack[to] {
                    low[at] = low[at].min(index[to]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(caller, _)) = calls.last() {
                low[caller] = low[caller].min(low[at]);
            }
            if low[at] == index[at] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = found;
                    if member == at {
                        break;
                    }
                }
                found += 1;
            }
        }
    }
    component
}

/// For each environment on a cycle, one cycle through it: the environments from it back to it,
/// itself first and not repeated at the end. `None` for an environment on no cycle.
pub fn cycles(next: &[Vec<usize>]) -> Vec<Option<Vec<usize>>> {
    let component = components(next);
    let mut size = vec![0usize; next.len()];
    for &c in &component {
        size[c] += 1;
    }
    let inside = |at: usize, to: usize| component[to] == component[at];
    let mut found: Vec<Option<Vec<usize>>> = vec![None; next.len()];
    // One cycle per component serves every environment on it, each from its own place.
    let mut shared: Vec<Option<Vec<usize>>> = vec![None; next.len()];
    for start in 0..next.len() {
        if next[start].contains(&start) {
            found[start] = Some(vec![start]);
            continue;
        }
        if size[component[start]] < 2 {
            continue;
        }
        let c = component[start];
        if shared[c].is_none() {
            shared[c] = Some(some_cycle(next, start, &inside));
        }
        let cycle = shared[c].as_ref().expect("set above");
        if let Some(place) = cycle.iter().position(|&at| at == start) {
            found[start] = Some(cycle[place..].iter().chain(&cycle[..place]).copied().collect());
        } else {
            found[start] = Some(shortest_cycle(next, start, &inside));
        }
    }
    found
}

/// Within a component of several, every environment links to another inside it: following the
/// first such link from `start` comes back to an environment already passed, and from there on
/// the walk is a cycle.
fn some_cycle(next: &[Vec<usize>], start: usize, inside: &impl Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut place = std::collections::HashMap::new();
    let mut walk = Vec::new();
    let mut at = start;
    loop {
        if let Some(&from) = place.get(&at) {
            return walk.split_off(from);
        }
        place.insert(at, walk.len());
        walk.push(at);
        at = *next[at].iter().find(|&&to| inside(at, to)).expect("a component of several links within itself");
    }
}

/// The shortest cycle through `start`, by a breadth-first search inside its component.
fn shortest_cycle(next: &[Vec<usize>], start: usize, inside: &impl Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut came_from = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for &to in next[at].iter().filter(|&&to| inside(at, to)) {
            if to == start {
                let mut cycle = vec![at];
                while let Some(&before) = came_from.get(cycle.last().expect("not empty")) {
                    cycle.push(before);
                }
                cycle.reverse();
                return cycle;
            }
            if let std::collections::hash_map::Entry::Vacant(entry) = came_from.entry(to) {
                entry.insert(at);
                queue.push_back(to);
            }
        }
    }
    unreachable!("an environment in a component of several lies on a cycle")
}

/// A cycle as the problem shows it, `qa -> prod -> qa`; a long one shows its first twelve
/// environments and its length.
pub fn shown(names: &[&str], cycle: &[usize]) -> String {
    const SHOWN: usize = 12;
    let first = names[cycle[0]];
    let mut parts: Vec<&str> = cycle.iter().take(SHOWN).map(|&at| names[at]).collect();
    if cycle.len() > SHOWN {
        return format!("{} -> … ({} environments) -> {first}", parts.join(" -> "), cycle.len());
    }
    parts.push(first);
    parts.join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown_all(next: &[Vec<usize>]) -> Vec<Option<String>> {
        let names = ["a", "b", "c", "d", "e"];
        cycles(next).into_iter().map(|cycle| cycle.map(|cycle| shown(&names, &cycle))).collect()
    }

    #[test]
    fn a_line_and_a_fan_have_no_cycle() {
        // b and c after a, d after both.
        assert_eq!(shown_all(&[vec![], vec![0], vec![0], vec![1, 2]]), vec![None; 4]);
    }

    #[test]
    fn a_cycle_is_shown_from_each_of_its_environments() {
        let found = shown_all(&[vec![1], vec![2], vec![0], vec![2]]);
        assert_eq!(
            found,
            [Some("a -> b -> c -> a".into()), Some("b -> c -> a -> b".into()), Some("c -> a -> b -> c".into()), None]
        );
    }

    #[test]
    fn a_list_that_names_itself_is_a_cycle_of_one() {
        assert_eq!(shown_all(&[vec![], vec![0, 1]]), [None, Some("b -> b".into())]);
    }

    #[test]
    fn a_cycle_through_a_list_names_the_environment_it_goes_through() {
        // d comes after a and c; c after d: the cycle goes through the list's second name.
        let found = shown_all(&[vec![], vec![0], vec![3], vec![0, 2]]);
        assert_eq!(found, [None, None, Some("c -> d -> c".into()), Some("d -> c -> d".into())]);
    }

    #[test]
    fn two_cycles_sharing_an_environment_show_one_through_each() {
        // a -> b -> a and a -> c -> a.
        let found = shown_all(&[vec![1, 2], vec![0], vec![0]]);
        assert_eq!(found[0].as_deref(), Some("a -> b -> a"));
        assert_eq!(found[1].as_deref(), Some("b -> a -> b"));
        assert_eq!(found[2].as_deref(), Some("c -> a -> c"));
    }
}

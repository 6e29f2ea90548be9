using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace VfioPS.Docs.Markdown;

/// <summary>
/// The module page (document type: module) as PlatyPS 1.x's Import-MarkdownModuleFile reads it: the H1 title, the
/// Description section, and one (### [Name](Name.md), first line of the next paragraph) pair per command.
/// </summary>
public sealed record ModulePage(string Path, IReadOnlyDictionary<string, string> Metadata, string Title, string Description,
    IReadOnlyList<(string Name, string Link, string Synopsis)> Commands)
{
    public static ModulePage Read(string path) => Parse(File.ReadAllText(path), path);

    public static ModulePage Parse(string text, string path = "")
    {
        string[] lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var blocks = Markdig.Markdown.Parse(string.Join("\n", lines)).ToList();
        var metadata = CommandHelpMarkdownReader.ReadFrontMatter(lines, path);
        var title = blocks.OfType<HeadingBlock>().First(h => h.Level == 1);
        int description = blocks.FindIndex(b => b is HeadingBlock { Level: 2 } h && string.Equals(CommandHelpMarkdownReader.InlineText(h), "Description", StringComparison.OrdinalIgnoreCase));
        int next = description < 0 ? -1 : blocks.FindIndex(description + 1, b => b is HeadingBlock { Level: <= 2 });
        string descriptionText = description >= 0 && next > description + 1
            ? CommandHelpMarkdownReader.RawLines(lines, blocks[description + 1].Line, blocks[next].Line - 1)
            : "";
        var commands = new List<(string, string, string)>();
        for (int i = 0; i < blocks.Count - 1; i++)
        {
            if (blocks[i] is not HeadingBlock { Level: 3 } heading || heading.Inline?.FirstChild is not LinkInline link) continue;
            string name = link.FirstChild is LiteralInline literal ? literal.Content.ToString() : "";
            string synopsis = blocks[i + 1] is ParagraphBlock paragraph ? lines[paragraph.Line].Trim() : "";
            commands.Add((name, link.Url ?? "", synopsis));
        }
        return new ModulePage(path, metadata, CommandHelpMarkdownReader.InlineText(title), descriptionText, commands);
    }
}
